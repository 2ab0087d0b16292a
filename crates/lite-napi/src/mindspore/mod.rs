//! The MindSpore Lite half of the binding (`@lite/mindspore`). Nothing here loads the MindSpore
//! runtime until `loadMindsporeRuntime` or a build is called, so MegEngine users never load it.

pub mod batch;
pub mod converter;
pub mod lanes;
pub mod model;
