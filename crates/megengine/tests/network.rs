mod common;

use common::*;
use megengine::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

fn set_input(net: &Network, name: &str, npy: &str) {
    let (descr, shape, bytes) = read_npy(npy);
    assert_eq!(descr, "<f4");
    let mut t = net
        .get_io_tensor(name, TensorPhase::Input)
        .expect("input tensor");
    assert_eq!(t.layout().expect("layout").shapes, shape);
    t.copy_from_host(&bytes).expect("set input");
}

fn output(net: &Network, name: &str) -> Vec<f32> {
    let t = net
        .get_io_tensor(name, TensorPhase::Output)
        .expect("output tensor");
    f32s(&t.to_host_bytes().expect("read output"))
}

fn expected(npy: &str) -> Vec<f32> {
    let (descr, _, bytes) = read_npy(npy);
    assert_eq!(descr, "<f4");
    f32s(&bytes)
}

#[test]
fn shufflenet_from_path_matches_megenginelite() {
    require_runtime();
    let net = Network::with_defaults().expect("network");
    net.load_from_path(&fixture("shufflenet.mge"))
        .expect("load");
    assert_eq!(net.input_names().expect("in"), vec!["data"]);
    assert_eq!(net.output_names().expect("out"), vec!["prob"]);
    assert_eq!(net.input_name(0).expect("in0"), "data");
    assert_eq!(net.output_name(0).expect("out0"), "prob");
    assert_eq!(
        net.input_name(1).expect_err("oob").code,
        ErrorCode::InvalidArgument
    );
    assert_eq!(net.device_type().expect("dev"), DeviceType::Cpu);
    set_input(&net, "data", "shufflenet_input.npy");
    net.forward().expect("forward");
    net.wait().expect("wait");
    let got = output(&net, "prob");
    let want = expected("shufflenet_lite_output.npy");
    assert!(
        max_abs_diff(&got, &want) <= 1e-6,
        "diff {}",
        max_abs_diff(&got, &want)
    );
}

#[test]
fn io_tensor_keeps_network_alive() {
    require_runtime();
    let net = Network::with_defaults().expect("network");
    net.load_from_path(&fixture("mlp.mge")).expect("load");
    set_input(&net, "data", "mlp_input.npy");
    net.forward().expect("forward");
    net.wait().expect("wait");
    let out = net
        .get_io_tensor("logits", TensorPhase::Output)
        .expect("out");
    drop(net);
    let got = f32s(&out.to_host_bytes().expect("read after network drop"));
    assert!(max_abs_diff(&got, &expected("mlp_lite_output.npy")) <= 1e-6);
}

#[test]
fn mlp_from_memory_with_threads_and_model_io_info() {
    require_runtime();
    let bytes = std::fs::read(fixture("mlp.mge")).expect("read model");
    let info = get_model_io_info_by_memory(&bytes, &Config::default()).expect("io info");
    assert_eq!(info.inputs.len(), 1);
    assert_eq!(info.inputs[0].name, "data");
    assert_eq!(info.inputs[0].config_layout.shapes, vec![1, 64]);
    assert_eq!(info.outputs[0].name, "logits");

    let net = Network::with_defaults().expect("network");
    net.set_threads_number(2).expect("threads");
    assert_eq!(net.threads_number().expect("threads"), 2);
    assert_eq!(
        net.set_threads_number(0).expect_err("zero").code,
        ErrorCode::InvalidArgument
    );
    net.load_from_mem(&bytes).expect("load");
    set_input(&net, "data", "mlp_input.npy");
    net.forward().expect("forward");
    net.wait().expect("wait");
    assert!(max_abs_diff(&output(&net, "logits"), &expected("mlp_lite_output.npy")) <= 1e-6);
    let _ = net.model_extra_info().expect("extra info");
}

#[test]
fn model_io_info_by_path() {
    require_runtime();
    let p = fixture("two_io.mge");
    let info =
        get_model_io_info_by_path(p.to_str().expect("utf8"), &Config::default()).expect("info");
    let names: Vec<_> = info.inputs.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, vec!["b", "a"]);
    assert_eq!(info.inputs[1].config_layout.shapes, vec![2, 3, 4]);
    let outs: Vec<_> = info.outputs.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(outs, vec!["sum_out", "prod_out"]);
    let e = get_model_io_info_by_path("/nonexistent.mge", &Config::default()).expect_err("missing");
    assert_eq!(e.code, ErrorCode::FileNotFound);
}

#[test]
fn two_io_with_start_and_finish_callbacks() {
    require_runtime();
    let net = Network::with_defaults().expect("network");
    let seen_in = Arc::new(Mutex::new(Vec::<(String, Vec<usize>)>::new()));
    let seen_out = Arc::new(Mutex::new(Vec::<String>::new()));
    let si = seen_in.clone();
    net.set_start_callback(move |ios| {
        let mut v = si.lock().expect("lock");
        for c in ios {
            v.push((c.io.name.clone(), c.tensor.layout().expect("layout").shapes));
        }
    })
    .expect("start cb");
    let so = seen_out.clone();
    net.set_finish_callback(move |ios| {
        so.lock()
            .expect("lock")
            .extend(ios.iter().map(|c| c.io.name.clone()));
    })
    .expect("finish cb");
    net.load_from_path(&fixture("two_io.mge")).expect("load");
    set_input(&net, "a", "two_io_input_a.npy");
    set_input(&net, "b", "two_io_input_b.npy");
    net.forward().expect("forward");
    net.wait().expect("wait");
    assert!(
        max_abs_diff(
            &output(&net, "sum_out"),
            &expected("two_io_lite_output_sum_out.npy")
        ) <= 1e-6
    );
    assert!(
        max_abs_diff(
            &output(&net, "prod_out"),
            &expected("two_io_lite_output_prod_out.npy")
        ) <= 1e-6
    );
    let mut si = seen_in.lock().expect("lock").clone();
    si.sort();
    assert_eq!(
        si,
        vec![("a".into(), vec![2, 3, 4]), ("b".into(), vec![3, 4])]
    );
    let mut so = seen_out.lock().expect("lock").clone();
    so.sort();
    assert_eq!(so, vec!["prod_out".to_string(), "sum_out".to_string()]);
}

#[test]
fn async_forward_with_callback() {
    require_runtime();
    let net = Network::with_defaults().expect("network");
    let fired = Arc::new(AtomicUsize::new(0));
    let f = fired.clone();
    net.set_async_callback(move || {
        f.fetch_add(1, Ordering::SeqCst);
    })
    .expect("async cb");
    net.load_from_path(&fixture("mlp.mge")).expect("load");
    set_input(&net, "data", "mlp_input.npy");
    net.forward().expect("forward");
    net.wait().expect("wait");
    // The callback may run on a runtime thread; give it a moment after wait.
    for _ in 0..200 {
        if fired.load(Ordering::SeqCst) > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(fired.load(Ordering::SeqCst), 1);
    assert!(!net.is_busy());
    assert!(max_abs_diff(&output(&net, "logits"), &expected("mlp_lite_output.npy")) <= 1e-6);
}

#[test]
fn aes_model_with_builtin_decryption() {
    require_runtime();
    let cfg = Config {
        bare_model_cryption_name: "AES_default".into(),
        ..Config::default()
    };
    let net = Network::new(&cfg, &NetworkIo::default()).expect("network");
    net.load_from_path(&fixture("shufflenet.aes.mge"))
        .expect("load encrypted");
    set_input(&net, "data", "shufflenet_input.npy");
    net.forward().expect("forward");
    net.wait().expect("wait");
    assert!(
        max_abs_diff(
            &output(&net, "prob"),
            &expected("shufflenet_aes_lite_output.npy")
        ) <= 1e-6
    );
}

/// `data` XORed with the repeated `key` (its own inverse: a toy cipher for the tests).
fn xor(data: &[u8], key: &[u8]) -> Vec<u8> {
    data.iter()
        .enumerate()
        .map(|(i, b)| b ^ key[i % key.len()])
        .collect()
}

/// Registers [`xor`] under `name` with `key`; the counter counts its calls.
fn register_xor(name: &str, key: &[u8]) -> Arc<AtomicUsize> {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    register_decryption_and_key(
        name,
        Arc::new(move |data: &[u8], key: &[u8]| {
            c.fetch_add(1, Ordering::SeqCst);
            xor(data, key)
        }),
        key,
    )
    .expect("register");
    calls
}

#[test]
fn closure_decryption_is_called() {
    require_runtime();
    // "Encrypt" mlp.mge by XOR with the key; register the inverse as a closure.
    let plain = std::fs::read(fixture("mlp.mge")).expect("model");
    let key = vec![0x5a_u8, 0x13, 0x77];
    let enc = xor(&plain, &key);
    let calls = register_xor("xor_test", &key);
    let cfg = Config {
        bare_model_cryption_name: "xor_test".into(),
        ..Config::default()
    };
    let net = Network::new(&cfg, &NetworkIo::default()).expect("network");
    net.load_from_mem(&enc).expect("load xor model");
    assert!(calls.load(Ordering::SeqCst) >= 1);
    set_input(&net, "data", "mlp_input.npy");
    net.forward().expect("forward");
    net.wait().expect("wait");
    assert!(max_abs_diff(&output(&net, "logits"), &expected("mlp_lite_output.npy")) <= 1e-6);
}

#[test]
fn decrypted_load_ignores_the_decryption_name_for_that_load_only() {
    require_runtime();
    let plain = std::fs::read(fixture("mlp.mge")).expect("model");
    let key = vec![0x21_u8, 0x42];
    let enc = xor(&plain, &key);
    let calls = register_xor("xor_decrypted_test", &key);
    let cfg = Config {
        bare_model_cryption_name: "xor_decrypted_test".into(),
        ..Config::default()
    };
    let net = Network::new(&cfg, &NetworkIo::default()).expect("network");
    // A setting made before the first load applies to the engine network made for it.
    net.set_threads_number(2).expect("threads");
    // First load: already decrypted, so the decryptor is not called.
    net.load_from_owned_decrypted(plain.clone().into_boxed_slice())
        .expect("load decrypted");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert_eq!(net.threads_number().expect("threads"), 2);
    set_input(&net, "data", "mlp_input.npy");
    net.forward().expect("forward");
    net.wait().expect("wait");
    assert!(max_abs_diff(&output(&net, "logits"), &expected("mlp_lite_output.npy")) <= 1e-6);
    // The configured name still applies to the next (ordinary) load.
    net.load_from_mem(&enc).expect("load encrypted");
    assert!(calls.load(Ordering::SeqCst) >= 1);
    set_input(&net, "data", "mlp_input.npy");
    net.forward().expect("forward");
    net.wait().expect("wait");
    assert!(max_abs_diff(&output(&net, "logits"), &expected("mlp_lite_output.npy")) <= 1e-6);
    // Plain bytes through an ordinary load would be "decrypted" (XORed) and fail.
    assert!(net.load_from_mem(&plain).is_err());
}

#[test]
fn share_weights_and_settings() {
    require_runtime();
    let a = Network::with_defaults().expect("a");
    a.load_from_path(&fixture("mlp.mge")).expect("load");
    let b = Network::with_defaults().expect("b");
    b.share_weights_with(&a).expect("share weights");
    drop(a);
    set_input(&b, "data", "mlp_input.npy");
    b.forward().expect("forward");
    b.wait().expect("wait");
    assert!(max_abs_diff(&output(&b, "logits"), &expected("mlp_lite_output.npy")) <= 1e-6);

    let c = Network::with_defaults().expect("c");
    c.enable_cpu_inplace_mode().expect("inplace");
    assert!(c.is_cpu_inplace_mode().expect("inplace?"));
    c.extra_configure(ExtraConfig {
        disable_configure_by_model_info: true,
    })
    .expect("extra");
    c.load_from_path(&fixture("mlp.mge")).expect("load");
    // The runtime requires a loaded model for these two.
    c.set_network_algo_workspace_limit(1 << 20).expect("ws");
    c.set_network_algo_policy(
        AlgoSelectStrategy::HEURISTIC | AlgoSelectStrategy::REPRODUCIBLE,
        0,
        false,
    )
    .expect("policy");
    assert_eq!(
        AlgoSelectStrategy::from_bits(0).expect_err("zero").code,
        ErrorCode::InvalidArgument
    );
    set_input(&c, "data", "mlp_input.npy");
    c.forward().expect("forward");
    // Between forward and wait the network and its tensors are busy.
    let e = c
        .get_io_tensor("logits", TensorPhase::Output)
        .expect_err("busy");
    assert_eq!(e.code, ErrorCode::Busy);
    c.wait().expect("wait");
    assert!(max_abs_diff(&output(&c, "logits"), &expected("mlp_lite_output.npy")) <= 1e-6);
    let _ = c.device_id().expect("device id");
    let _ = c.stream_id().expect("stream id");
}

#[test]
fn dynamic_batch_reshape_input() {
    require_runtime();
    let net = Network::with_defaults().expect("network");
    net.load_from_path(&fixture("dynamic_batch.mge"))
        .expect("load");
    let (_, shape, bytes) = read_npy("dynamic_batch_input_b4.npy");
    let mut t = net.get_io_tensor("data", TensorPhase::Input).expect("in");
    t.set_layout(&Layout::new(shape, DataType::Float).expect("l"))
        .expect("relayout");
    t.copy_from_host(&bytes).expect("set");
    net.forward().expect("forward");
    net.wait().expect("wait");
    assert!(
        max_abs_diff(
            &output(&net, "prob"),
            &expected("dynamic_batch_lite_output_b4.npy")
        ) <= 1e-5
    );
}
