//! The safe wrappers against the real runtime and the committed fixtures (fixtures/mindspore).

use mindspore::{BuildOptions, ErrorCode, Input, Model, ModelType, Runner};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/mindspore")
        .join(name)
}

/// The data bytes of a little-endian .npy file (version 1 header).
fn npy_bytes(name: &str) -> Vec<u8> {
    let raw = std::fs::read(fixture(name)).expect("fixture present");
    assert_eq!(&raw[..6], b"\x93NUMPY", "{name} is a .npy file");
    let header_len = usize::from(u16::from_le_bytes([raw[8], raw[9]]));
    raw[10 + header_len..].to_vec()
}

/// Model::predict (or Runner::predict) on one lenet batch equals the Python reference's logits.
fn assert_lenet_logits(out: &[mindspore::TensorData], batch: i64) {
    let want = npy_bytes(&format!("lenet_output_logits_b{batch}.npy"));
    assert_eq!(out[0].info.name, "logits");
    assert_eq!(out[0].data.as_deref(), Some(want.as_slice()));
}

fn one_thread() -> BuildOptions {
    BuildOptions {
        thread_num: Some(1),
        ..BuildOptions::default()
    }
}

fn lenet() -> Model {
    let mut m = Model::new().expect("runtime loads");
    m.build_from_file(&fixture("lenet.mindir"), ModelType::MindIr, &one_thread())
        .expect("lenet builds");
    m
}

#[test]
fn lenet_matches_python_bit_for_bit_across_batches() {
    let mut m = lenet();
    let inputs = m.inputs(false).unwrap();
    assert_eq!(inputs.len(), 1);
    assert_eq!(inputs[0].info.name, "x");
    assert_eq!(inputs[0].info.dtype, 43);
    for batch in [1i64, 4, 2, 1] {
        let x = npy_bytes(&format!("lenet_input_b{batch}.npy"));
        let out = m
            .predict(&[Input {
                shape: &[batch, 1, 28, 28],
                data: &x,
            }])
            .unwrap();
        let names: Vec<_> = out.iter().map(|o| o.info.name.as_str()).collect();
        assert_eq!(names, ["logits", "probs"]);
        for o in &out {
            assert_eq!(o.info.shape, [batch, 10]);
            let want = npy_bytes(&format!("lenet_output_{}_b{batch}.npy", o.info.name));
            assert_eq!(
                o.data.as_deref(),
                Some(want.as_slice()),
                "{} batch {batch}",
                o.info.name
            );
        }
    }
}

#[test]
fn bad_input_is_refused_before_the_engine() {
    let mut m = lenet();
    let x = npy_bytes("lenet_input_b1.npy");
    let e = m
        .predict(&[Input {
            shape: &[1, 1, 28, 28],
            data: &x[..100],
        }])
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    let e = m
        .predict(&[Input {
            shape: &[1, 3, 28, 28],
            data: &x,
        }])
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    let e = m.predict(&[]).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    // Still works afterwards.
    let out = m
        .predict(&[Input {
            shape: &[1, 1, 28, 28],
            data: &x,
        }])
        .unwrap();
    assert_lenet_logits(&out, 1);
}

#[test]
fn bad_model_files_are_refused_before_the_engine() {
    let dir = std::env::temp_dir().join(format!("ms-garbage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let garbage = dir.join("garbage.mindir");
    std::fs::write(&garbage, b"this is not a MindIR model at all").unwrap();
    let mut m = Model::new().unwrap();
    let e = m
        .build_from_file(&garbage, ModelType::MindIr, &one_thread())
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidModel);
    assert!(
        e.message.contains("not a valid MindIR model"),
        "{}",
        e.message
    );
    // A structurally corrupt model: conv1's bias declares 12 elements and stores 6. The engine
    // builds it and then corrupts its heap in predict (glibc abort).
    let mut lenet = std::fs::read(fixture("lenet.mindir")).unwrap();
    lenet[2522] = 12;
    let e = Model::new()
        .unwrap()
        .build_from_buffer(&lenet, ModelType::MindIr, &one_thread())
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidModel);
    assert!(e.message.contains("declares dims [12]"), "{}", e.message);
    let e = Model::new()
        .unwrap()
        .build_from_file(&dir, ModelType::MindIr, &one_thread())
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::FileNotFound);
    assert!(e.message.contains("is a directory"), "{}", e.message);
    let e = Model::new()
        .unwrap()
        .build_from_file(
            &dir.join("missing.mindir"),
            ModelType::MindIr,
            &one_thread(),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::FileNotFound);
    assert!(e.message.contains("does not exist"), "{}", e.message);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn runner_matches_python() {
    let opts = BuildOptions {
        workers_num: Some(2),
        thread_num: Some(1),
        ..BuildOptions::default()
    };
    let r = Runner::from_file(&fixture("lenet.mindir"), &opts).unwrap();
    assert_eq!(r.inputs()[0].name, "x");
    let x = npy_bytes("lenet_input_b2.npy");
    let out = r
        .predict(&[Input {
            shape: &[2, 1, 28, 28],
            data: &x,
        }])
        .unwrap();
    assert_lenet_logits(&out, 2);
}

#[test]
fn resize_refuses_only_sizes_outside_the_runtime() {
    let mut m = lenet();
    for bad in [vec![1 << 31, 1, 28, 28], vec![0, 1, 28, 28]] {
        let e = m.resize(std::slice::from_ref(&bad)).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument, "{bad:?}: {e}");
    }
    assert_eq!(m.inputs(false).unwrap()[0].info.shape, [-1, 1, 28, 28]);
    // Other dims and ranks are the engine's to judge, as with Python's resize (it accepts these).
    for other in [vec![2, 1, 28], vec![1, 3, 28, 28]] {
        m.resize(std::slice::from_ref(&other)).unwrap();
        assert_eq!(m.inputs(false).unwrap()[0].info.shape, other);
    }
    // predict resizes to its inputs' shape (same rank) and runs.
    let x = npy_bytes("lenet_input_b1.npy");
    let out = m
        .predict(&[Input {
            shape: &[1, 1, 28, 28],
            data: &x,
        }])
        .unwrap();
    assert_lenet_logits(&out, 1);
    // Another rank in predict is refused before the engine.
    let e = m
        .predict(&[Input {
            shape: &[1, 784],
            data: &x,
        }])
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    assert_lenet_logits(
        &m.predict(&[Input {
            shape: &[1, 1, 28, 28],
            data: &x,
        }])
        .unwrap(),
        1,
    );
}

#[test]
fn a_predict_after_one_that_failed_in_the_engine_is_refused() {
    // 2.0.0 runs a conv input resized to 3 channels into a failed predict, and the next predict
    // of that model crashed (SIGSEGV); it is refused instead.
    let mut m = lenet();
    m.resize(&[vec![1, 3, 28, 28]]).unwrap();
    let three = vec![0u8; 3 * 784 * 4];
    let e = m
        .predict(&[Input {
            shape: &[1, 3, 28, 28],
            data: &three,
        }])
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::LiteError, "{e}");
    let x = npy_bytes("lenet_input_b1.npy");
    let e = m
        .predict(&[Input {
            shape: &[1, 1, 28, 28],
            data: &x,
        }])
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Unsupported, "{e}");
    assert!(e
        .message
        .contains("an earlier predict of this model failed in the engine"));
}
