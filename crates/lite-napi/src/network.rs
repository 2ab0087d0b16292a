//! `NativeNetwork`: the JS face of `lite::Network`.
