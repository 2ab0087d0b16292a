mod common;

use common::*;
use megengine::*;
use std::sync::{RwLock, RwLockReadGuard};

/// The live-object counters are process-wide: the test that reads them holds this lock for
/// writing, every other test for reading, so no tensor appears or vanishes meanwhile.
static COUNTERS: RwLock<()> = RwLock::new(());

/// `require_runtime`, plus a read hold on [`COUNTERS`].
fn runtime() -> RwLockReadGuard<'static, ()> {
    require_runtime();
    COUNTERS.read().unwrap_or_else(|p| p.into_inner())
}

fn cpu(shape: &[usize], dt: DataType) -> Tensor {
    let l = Layout::new(shape.to_vec(), dt).expect("layout");
    Tensor::new(&l, DeviceType::Cpu, 0, false).expect("tensor")
}

fn filled(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|i| i as f32).collect();
    let l = Layout::new(shape.to_vec(), DataType::Float).expect("layout");
    Tensor::from_host_bytes(&l, &f32_bytes(&v)).expect("from bytes")
}

fn values(t: &Tensor) -> Vec<f32> {
    f32s(&t.to_host_bytes().expect("to host"))
}

#[test]
fn version_is_1_13() {
    let _hold = runtime();
    assert_eq!(version().expect("version"), (1, 13, 0));
    assert_eq!(version_string().expect("version"), "1.13.0");
    assert!(library_path().is_some());
}

#[test]
fn error_codes_are_stable() {
    assert_eq!(ErrorCode::LiteError.as_str(), "LITE_ERROR");
    assert_eq!(ErrorCode::InvalidArgument.as_str(), "LITE_INVALID_ARGUMENT");
    assert_eq!(ErrorCode::Disposed.as_str(), "LITE_DISPOSED");
    assert_eq!(
        ErrorCode::RuntimeNotFound.as_str(),
        "LITE_RUNTIME_NOT_FOUND"
    );
    assert_eq!(ErrorCode::Unsupported.as_str(), "LITE_UNSUPPORTED");
}

#[test]
fn layout_round_trip_and_rank_limit() {
    let _hold = runtime();
    let mut t = cpu(&[2, 3, 4], DataType::Int16);
    let l = t.layout().expect("layout");
    assert_eq!(l.shapes, vec![2, 3, 4]);
    assert_eq!(l.data_type, DataType::Int16);
    assert_eq!(t.nbytes().expect("nbytes"), 48);
    let six = Layout::new(vec![1, 2, 1, 2, 1, 2], DataType::Uint8).expect("rank 6");
    t.set_layout(&six).expect("set rank 6");
    assert_eq!(t.layout().expect("layout"), six);
    let e = Layout::new(vec![1; 7], DataType::Float).expect_err("rank 7");
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    assert_eq!(t.device_type().expect("dev"), DeviceType::Cpu);
    assert_eq!(t.device_id().expect("id"), 0);
    assert!(!t.is_pinned_host().expect("pinned"));
    assert!(t.is_continue().expect("cont"));
    assert_eq!(DataType::Half.element_size(), 2);
    assert_eq!(
        Layout::new(vec![2, 3], DataType::Half).expect("l").nbytes(),
        12
    );
}

#[test]
fn unsupported_dtype_rejected_before_c() {
    let _hold = runtime();
    let l = Layout::new(vec![2], DataType::Int64).expect("layout");
    let e = Tensor::new(&l, DeviceType::Cpu, 0, false).expect_err("int64");
    assert_eq!(e.code, ErrorCode::Unsupported);
}

#[test]
fn fill_copy_share() {
    let _hold = runtime();
    let src = filled(&[2, 3]);
    assert_eq!(values(&src), vec![0., 1., 2., 3., 4., 5.]);
    let mut dst = cpu(&[1], DataType::Float);
    dst.copy_from(&src).expect("copy");
    assert_eq!(dst.layout().expect("l").shapes, vec![2, 3]);
    assert_eq!(values(&dst), values(&src));
    dst.fill_zero().expect("zero");
    assert_eq!(values(&dst), vec![0.0; 6]);
    assert_eq!(values(&src)[5], 5.0);

    let mut shared = cpu(&[1], DataType::Float);
    shared.share_memory_with(&src).expect("share");
    assert_eq!(shared.host_ptr().expect("p"), src.host_ptr().expect("p"));
    shared.fill_zero().expect("zero");
    assert_eq!(values(&src), vec![0.0; 6]);
}

#[test]
fn slice_reshape_concat_values() {
    let _hold = runtime();
    let t = filled(&[4, 4]);
    let s = t.slice(&[1, 0], &[3, 4], Some(&[1, 2])).expect("slice");
    assert_eq!(s.layout().expect("l").shapes, vec![2, 2]);
    assert!(!s.is_continue().expect("cont"));
    assert_eq!(values(&s), vec![4., 6., 8., 10.]);
    drop(t); // the slice shares memory and must stay valid
    assert_eq!(values(&s), vec![4., 6., 8., 10.]);
    let e = filled(&[4, 4]).slice(&[0], &[5], None).expect_err("oob");
    assert_eq!(e.code, ErrorCode::InvalidArgument);

    let mut r = filled(&[2, 6]);
    r.reshape(&[3, -1]).expect("reshape");
    assert_eq!(r.layout().expect("l").shapes, vec![3, 4]);
    assert_eq!(values(&r), (0..12).map(|i| i as f32).collect::<Vec<_>>());
    assert_eq!(
        r.reshape(&[5, -1]).expect_err("bad").code,
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        r.reshape(&[-1, -1]).expect_err("bad").code,
        ErrorCode::InvalidArgument
    );

    let a = filled(&[2, 2]);
    let b = filled(&[1, 2]);
    let c = Tensor::concat(&[&a, &b], 0, None, None).expect("concat");
    assert_eq!(c.layout().expect("l").shapes, vec![3, 2]);
    assert_eq!(values(&c), vec![0., 1., 2., 3., 0., 1.]);
    let c1 = Tensor::concat(&[&a, &a], 1, Some(DeviceType::Cpu), Some(0)).expect("concat");
    assert_eq!(values(&c1), vec![0., 1., 0., 1., 2., 3., 2., 3.]);
    assert_eq!(
        Tensor::concat(&[&a, &b], 1, None, None)
            .expect_err("mismatch")
            .code,
        ErrorCode::InvalidArgument
    );
}

#[test]
fn reset_with_user_memory() {
    let _hold = runtime();
    let mut t = cpu(&[4], DataType::Float);
    let mem = f32_bytes(&[1., 2., 3., 4.]);
    t.reset_with(mem, None).expect("reset");
    assert_eq!(values(&t), vec![1., 2., 3., 4.]);
    let l = Layout::new(vec![2, 2], DataType::Int16).expect("l");
    t.reset_with(vec![1u8, 0, 2, 0, 3, 0, 4, 0], Some(&l))
        .expect("reset layout");
    assert_eq!(t.layout().expect("l"), l);
    assert_eq!(t.to_host_bytes().expect("b"), vec![1, 0, 2, 0, 3, 0, 4, 0]);
    let e = t.reset_with(vec![0u8; 3], None).expect_err("too small");
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    let s = t.slice(&[1], &[2], None).expect("slice of user memory");
    drop(t);
    assert_eq!(s.to_host_bytes().expect("b"), vec![3, 0, 4, 0]);
}

/// Whether a CUDA driver library can be opened (the binding's own check).
fn lite_sys_cuda_driver() -> bool {
    DeviceType::Cuda.check_available().is_ok()
}

#[test]
fn device_count_and_cuda_fails_cleanly() {
    let _hold = runtime();
    assert!(device_count(DeviceType::Cpu).expect("cpu count") >= 1);
    let cuda = device_count(DeviceType::Cuda).expect("cuda count");
    let l = Layout::new(vec![2, 2], DataType::Float).expect("l");
    let r = Tensor::new(&l, DeviceType::Cuda, 0, false);
    if !lite_sys_cuda_driver() {
        // No driver: answered without asking the engine (whose probe prints a banner).
        assert_eq!(cuda, 0);
        let e = r.expect_err("no CUDA driver here");
        assert_eq!(e.code, ErrorCode::Unsupported);
        assert!(e.message.contains("no CUDA driver"), "{}", e.message);
        // DEVICE_DEFAULT is the CPU then.
        let d = Tensor::new(&l, DeviceType::DeviceDefault, 0, false).expect("default device");
        assert_eq!(d.device_type().expect("device"), DeviceType::Cpu);
    } else if cuda == 0 {
        let e = r.expect_err("no GPU here");
        assert_eq!(e.code, ErrorCode::LiteError);
    }
}

#[test]
fn log_level_round_trip() {
    let _hold = runtime();
    let old = get_log_level().expect("get");
    set_log_level(LogLevel::Error).expect("set");
    assert_eq!(get_log_level().expect("get"), LogLevel::Error);
    set_log_level(old).expect("restore");
}

#[test]
fn engine_error_message_is_reported() {
    let _hold = runtime();
    let net = Network::with_defaults().expect("network");
    // Bytes of no known format pass the structural check (they may be encrypted) and reach the
    // engine, which refuses them with its own message.
    let e = net
        .load_from_mem(b"this is not a model at all, only text")
        .expect_err("not a model");
    assert_eq!(e.code, ErrorCode::LiteError);
    assert!(e.message.contains("invalid model format"), "{}", e.message);
    // A missing file is found before the engine.
    let e = net
        .load_from_path(std::path::Path::new("/nonexistent/dir/model.mge"))
        .expect_err("missing model");
    assert_eq!(e.code, ErrorCode::FileNotFound);
}

#[test]
fn send_not_sync() {
    fn is_send<T: Send>() {}
    is_send::<Tensor>();
    is_send::<Network>();
}

/// The 1.13 runtime stores a new layout before it fails to grow memory it does not own;
/// the wrapper must leave such a tensor exactly as it was (layout, strides and values).
#[test]
fn refused_relayouts_leave_slices_unchanged() {
    let _hold = runtime();
    let parent = filled(&[4, 4]);
    let big = Layout::new(vec![64, 64], DataType::Float).expect("layout");
    let big_src = Tensor::from_host_bytes(&big, &vec![0u8; big.nbytes()]).expect("big");

    // Non-contiguous slice (column 0, rows 0..2): refused up front, nothing changes.
    let mut s = parent.slice(&[0, 0], &[2, 1], None).expect("slice");
    assert!(!s.is_continue().expect("continue"));
    let before = (s.layout().expect("layout"), values(&s));
    assert_eq!(before.1, vec![0.0, 4.0]);
    let e = s.set_layout(&big).expect_err("grow");
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    let e = s.copy_from(&big_src).expect_err("copy bigger");
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    let e = s
        .reset_with(vec![0u8; big.nbytes()], Some(&big))
        .expect_err("share bigger");
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    assert_eq!((s.layout().expect("layout"), values(&s)), before);
    assert!(!s.is_continue().expect("continue"));
    s.fill_zero().expect("fill");
    assert_eq!(values(&parent)[..8], [0.0, 1., 2., 3., 0., 5., 6., 7.]);

    // Contiguous slice at an offset (rows 1..3): the runtime refuses to grow it; the
    // wrapper restores the old layout, so it still views rows 1..3.
    let mut c = parent.slice(&[1], &[3], None).expect("slice rows");
    assert!(c.is_continue().expect("continue"));
    let before = (c.layout().expect("layout"), values(&c));
    assert!(c.set_layout(&big).is_err());
    assert!(c.copy_from(&big_src).is_err());
    assert!(c.reset_with(vec![0u8; big.nbytes()], Some(&big)).is_err());
    assert_eq!((c.layout().expect("layout"), values(&c)), before);
    c.fill_zero().expect("fill");
    let v = values(&parent);
    assert!(v[4..12].iter().all(|&x| x == 0.0));
    assert_eq!(v[12..16], [12., 13., 14., 15.]);

    // Setting the current layout again is a no-op, also for strided slices.
    let mut s2 = parent.slice(&[0, 1], &[4, 2], None).expect("slice");
    let l = s2.layout().expect("layout");
    s2.set_layout(&l).expect("same layout");
    assert!(!s2.is_continue().expect("continue"));
    assert_eq!(values(&s2), vec![1.0, 0.0, 0.0, 13.0]);
}

/// Memory given to a non-contiguous slice is used contiguously (the runtime would keep
/// the parent's strides and read past the caller's buffer).
#[test]
fn sharing_memory_with_a_strided_slice_makes_it_contiguous() {
    let _hold = runtime();
    let parent = filled(&[4, 4]);
    let mut s = parent
        .slice(&[0, 0], &[4, 4], Some(&[2, 2]))
        .expect("slice");
    assert!(!s.is_continue().expect("continue"));
    s.reset_with(f32_bytes(&[9.0, 8.0, 7.0, 6.0]), None)
        .expect("share");
    assert!(s.is_continue().expect("continue"));
    assert_eq!(values(&s), vec![9.0, 8.0, 7.0, 6.0]);
    s.fill_zero().expect("fill");
    assert_eq!(values(&s), vec![0.0; 4]);
    // The parent is untouched.
    assert_eq!(
        values(&parent),
        (0..16).map(|i| i as f32).collect::<Vec<_>>()
    );
    let mut s = parent
        .slice(&[0, 0], &[4, 4], Some(&[2, 2]))
        .expect("slice");
    let e = s.reshape(&[4]).expect_err("reshape strided");
    assert_eq!(e.code, ErrorCode::InvalidArgument);
}

/// The live-object counters follow creation and drop of tensors (slices included) and
/// networks; IO tensors are not counted (the network owns them).
#[test]
fn live_object_counts() {
    require_runtime();
    let _only = COUNTERS.write().unwrap_or_else(|p| p.into_inner());
    let before = live_objects();
    let t = filled(&[4, 4]);
    let s = t.slice(&[0], &[2], None).expect("slice");
    assert_eq!(live_objects().tensors, before.tensors + 2);
    let net = Network::new(&Config::default(), &NetworkIo::default()).expect("network");
    assert_eq!(live_objects().networks, before.networks + 1);
    drop((t, s));
    assert_eq!(live_objects().tensors, before.tensors);
    drop(net);
    assert_eq!(live_objects(), before);
}

/// A zero-size dimension: no engine data path runs (the runtime segfaults filling one), the
/// tensor is contiguous, reshapes among zero-size shapes and grows.
#[test]
fn zero_size_tensors() {
    let _hold = runtime();
    let mut t = cpu(&[0, 64], DataType::Float);
    assert!(t.is_continue().expect("contiguity"));
    t.fill_zero().expect("fill");
    assert!(t.to_host_bytes().expect("read").is_empty());
    t.copy_from_host(&[]).expect("write");
    t.reshape(&[0, 8, -1]).expect_err("ambiguous -1");
    t.reshape(&[0, 8, 8]).expect("reshape");
    assert_eq!(t.layout().expect("layout").shapes, vec![0, 8, 8]);
    let src = filled(&[2, 3]);
    t.copy_from(&src).expect("copy in");
    assert_eq!(values(&t), values(&src));
    let mut back = filled(&[2, 2]);
    back.copy_from(&cpu(&[4, 0], DataType::Float))
        .expect("copy out");
    assert_eq!(back.layout().expect("layout").shapes, vec![4, 0]);
}
