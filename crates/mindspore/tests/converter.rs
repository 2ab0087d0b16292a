//! The converter against the real runtime: the committed ONNX fixture converts, with the options
//! of tools/models/make_mindspore_fixtures.py, into a model that predicts what the
//! Python-converted fixture predicts (bit for bit).

use mindspore::{
    convert, BuildOptions, ConvertOptions, ErrorCode, FmkType, Input, Model, ModelType,
};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/mindspore")
        .join(name)
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lite-ms-convert-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn logits(path: &std::path::Path, input: &[u8]) -> Vec<u8> {
    let mut model = Model::new().expect("model");
    let opts = BuildOptions {
        thread_num: Some(1),
        ..BuildOptions::default()
    };
    model
        .build_from_file(path, ModelType::MindIr, &opts)
        .expect("build");
    let out = model
        .predict(&[Input {
            data: input,
            shape: &[1, 1, 28, 28],
        }])
        .expect("predict");
    out[0].data.clone().expect("output data")
}

#[test]
fn onnx_converts_to_a_model_predicting_like_the_python_converted_one() {
    let dir = temp_dir("lenet");
    let out = dir.join("lenet");
    let mut opts = ConvertOptions::new(
        FmkType::Onnx,
        &fixture("lenet.onnx").to_string_lossy(),
        &out.to_string_lossy(),
    );
    opts.save_type = Some(ModelType::MindIr);
    opts.no_fusion = Some(true);
    convert(&opts).expect("convert");
    let written = dir.join("lenet.mindir");
    assert!(written.is_file(), "the engine appends .mindir");
    let raw = std::fs::read(fixture("lenet_input_b1.npy")).expect("input");
    let header_len = usize::from(u16::from_le_bytes([raw[8], raw[9]]));
    let input = &raw[10 + header_len..];
    assert_eq!(
        logits(&written, input),
        logits(&fixture("lenet.mindir"), input)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn garbage_model_fails_with_the_engine_reason() {
    let dir = temp_dir("garbage");
    let bad = dir.join("bad.onnx");
    std::fs::write(&bad, b"not an onnx model").expect("write");
    let opts = ConvertOptions::new(
        FmkType::Onnx,
        &bad.to_string_lossy(),
        &dir.join("out").to_string_lossy(),
    );
    let err = convert(&opts).expect_err("garbage must fail");
    assert_eq!(err.code, ErrorCode::LiteError);
    assert!(
        err.message.starts_with("converting the model failed"),
        "{}",
        err.message
    );
    std::fs::remove_dir_all(&dir).ok();
}
