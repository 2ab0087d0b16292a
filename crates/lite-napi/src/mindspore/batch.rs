//! Dynamic batching of a `ModelParallelRunner`'s requests: which requests can be stacked, how
//! their rows are stacked into one input and how the outputs are split back, and the build-time
//! check that a model's outputs follow its batch dim.

use crate::error::NativeFailure;
use mindspore::{dtype_size, Input, LiteError, Runner, TensorData, TensorInfo};
use std::time::Instant;

/// A request's inputs (copied at the call), as rows along dim 0.
pub struct Rows {
    shapes: Vec<Vec<i64>>,
    data: Vec<Vec<u8>>,
    /// Dim 0 shared by every input; `None` when the inputs disagree (the request runs alone).
    count: Option<usize>,
    arrived: Instant,
}

impl Rows {
    /// A request's inputs, arrived now.
    pub fn new(shapes: Vec<Vec<i64>>, data: Vec<Vec<u8>>) -> Rows {
        let first = shapes.first().and_then(|s| s.first()).copied();
        let count = first
            .filter(|d| shapes.iter().all(|s| s.first() == Some(d)))
            .and_then(|d| usize::try_from(d).ok())
            .filter(|d| *d > 0);
        Rows {
            shapes,
            data,
            count,
            arrived: Instant::now(),
        }
    }

    /// The engine inputs of this request alone.
    pub fn inputs(&self) -> Vec<Input<'_>> {
        self.shapes
            .iter()
            .zip(&self.data)
            .map(|(s, d)| Input { shape: s, data: d })
            .collect()
    }

    /// Whether the request can be stacked with others at all.
    pub fn stackable(&self) -> bool {
        self.count.is_some()
    }

    /// Rows (dim 0 of every input; 0 when not stackable).
    pub fn count(&self) -> usize {
        self.count.unwrap_or(0)
    }

    /// When the request was made.
    pub fn arrived(&self) -> Instant {
        self.arrived
    }

    /// Whether `self` can be stacked with `other`: both stackable, same inputs, same dims
    /// except dim 0 (the dtypes are the model's, so they match).
    pub fn joins(&self, other: &Rows) -> bool {
        self.stackable()
            && other.stackable()
            && self.shapes.len() == other.shapes.len()
            && self
                .shapes
                .iter()
                .zip(&other.shapes)
                .all(|(a, b)| a.len() == b.len() && a[1..] == b[1..])
    }
}

/// The stacked inputs of `parts` (each joins the first): shapes with dim 0 summed, bytes
/// concatenated in order.
pub fn stack(parts: &[&Rows]) -> (Vec<Vec<i64>>, Vec<Vec<u8>>) {
    let Some(first) = parts.first() else {
        return (Vec::new(), Vec::new());
    };
    let total: usize = parts.iter().map(|p| p.count()).sum();
    let shapes = first
        .shapes
        .iter()
        .map(|s| {
            let mut s = s.clone();
            if let Some(d) = s.first_mut() {
                *d = i64::try_from(total).unwrap_or(i64::MAX);
            }
            s
        })
        .collect();
    let data = (0..first.data.len())
        .map(|i| {
            let len = parts.iter().map(|p| p.data[i].len()).sum();
            let mut buf = Vec::with_capacity(len);
            for p in parts {
                buf.extend_from_slice(&p.data[i]);
            }
            buf
        })
        .collect();
    (shapes, data)
}

fn split_failure(message: String) -> NativeFailure {
    NativeFailure {
        code: "LITE_ERROR".into(),
        message,
        engine_message: None,
    }
}

/// Splits the outputs of a stacked run along dim 0: `counts[i]` rows for request `i`, in order.
pub fn split(
    outputs: Vec<TensorData>,
    counts: &[usize],
) -> Result<Vec<Vec<TensorData>>, NativeFailure> {
    let total: usize = counts.iter().sum();
    let mut per: Vec<Vec<TensorData>> = counts
        .iter()
        .map(|_| Vec::with_capacity(outputs.len()))
        .collect();
    for t in outputs {
        let dim0 = t.info.shape.first().and_then(|d| usize::try_from(*d).ok());
        let data = t.data.unwrap_or_default();
        if dim0 != Some(total) || total == 0 || data.len() % total != 0 {
            return Err(split_failure(format!(
                "batching: output {} has shape {:?} and {} bytes for a batch of {total} rows",
                t.info.name,
                t.info.shape,
                data.len()
            )));
        }
        let row = data.len() / total;
        let mut at = 0;
        for (out, &n) in per.iter_mut().zip(counts) {
            let mut shape = t.info.shape.clone();
            shape[0] = i64::try_from(n).unwrap_or(i64::MAX);
            let bytes = data[at..at + n * row].to_vec();
            at += n * row;
            out.push(TensorData {
                info: TensorInfo {
                    name: t.info.name.clone(),
                    dtype: t.info.dtype,
                    format: t.info.format,
                    shape,
                    data_size: bytes.len(),
                },
                data: Some(bytes),
            });
        }
    }
    Ok(per)
}

/// One element of value 1 of a `mindspore::DataType` (0 bytes for a type without a fixed size).
fn one(dtype: i32) -> Vec<u8> {
    match dtype {
        42 => 0x3C00u16.to_le_bytes().to_vec(),
        43 => 1f32.to_le_bytes().to_vec(),
        44 => 1f64.to_le_bytes().to_vec(),
        _ => {
            let mut v = vec![0u8; dtype_size(dtype).unwrap_or(0)];
            if let Some(b) = v.first_mut() {
                *b = 1;
            }
            v
        }
    }
}

fn unbatchable(why: String) -> LiteError {
    LiteError::unsupported(format!(
        "batching needs a model whose inputs have a dynamic batch dim (-1 first, other dims fixed) \
         and whose outputs follow it: {why}"
    ))
}

/// Checks at build that the runner's model can be batched: every input declares dim 0 dynamic
/// (-1) and its other dims fixed, and a probe run at batch 1 (zeros) and batch 2 (zeros, ones)
/// gives every output 1 and 2 rows, the zeros row the same in both (within 1e-3 relative for
/// float32: batch sizes may pick other kernels). `LITE_UNSUPPORTED` otherwise.
pub fn check_batchable(runner: &Runner) -> mindspore::Result<()> {
    let inputs = runner.inputs();
    if inputs.is_empty() {
        return Err(unbatchable("the model has no inputs".into()));
    }
    for i in inputs {
        let ok = i.shape.first() == Some(&-1) && i.shape[1..].iter().all(|d| *d > 0);
        if !ok {
            return Err(unbatchable(format!("input {} is {:?}", i.name, i.shape)));
        }
    }
    let row_shapes = |n: i64| -> Vec<Vec<i64>> {
        inputs
            .iter()
            .map(|i| {
                let mut s = i.shape.clone();
                s[0] = n;
                s
            })
            .collect()
    };
    let row_bytes = |i: &TensorInfo| -> mindspore::Result<usize> {
        let unit = dtype_size(i.dtype).ok_or_else(|| {
            unbatchable(format!(
                "input {} has data type {} without a fixed size",
                i.name, i.dtype
            ))
        })?;
        i.shape[1..]
            .iter()
            .try_fold(unit, |acc, d| {
                usize::try_from(*d).ok().and_then(|d| acc.checked_mul(d))
            })
            .ok_or_else(|| unbatchable(format!("input {} is too large", i.name)))
    };
    let mut one_row = Vec::new();
    let mut two_rows = Vec::new();
    for i in inputs {
        let n = row_bytes(i)?;
        let zeros = vec![0u8; n];
        let unit = one(i.dtype);
        let ones: Vec<u8> = unit.iter().copied().cycle().take(n).collect();
        one_row.push(zeros.clone());
        two_rows.push([zeros, ones].concat());
    }
    let (s1, s2) = (row_shapes(1), row_shapes(2));
    let run = |shapes: &[Vec<i64>], data: &[Vec<u8>]| {
        let feed: Vec<Input<'_>> = shapes
            .iter()
            .zip(data)
            .map(|(s, d)| Input { shape: s, data: d })
            .collect();
        runner
            .predict(&feed)
            .map_err(|e| unbatchable(format!("a probe run failed ({})", e.message)))
    };
    let out1 = run(&s1, &one_row)?;
    let out2 = run(&s2, &two_rows)?;
    for (a, b) in out1.iter().zip(&out2) {
        let (da, db) = (
            a.data.as_deref().unwrap_or(&[]),
            b.data.as_deref().unwrap_or(&[]),
        );
        let follows = a.info.shape.first() == Some(&1)
            && b.info.shape.first() == Some(&2)
            && a.info.shape[1..] == b.info.shape[1..]
            && db.len() == 2 * da.len();
        if !follows {
            return Err(unbatchable(format!(
                "output {} is {:?} at batch 1 and {:?} at batch 2",
                a.info.name, a.info.shape, b.info.shape
            )));
        }
        if !same_row(a.info.dtype, da, &db[..da.len()]) {
            return Err(unbatchable(format!(
                "output {}: row 0 changes when another row is added (the rows are not independent)",
                a.info.name
            )));
        }
    }
    Ok(())
}

/// Whether two output rows agree: float32 within 1e-3 relative (1e-3 absolute below 1), other
/// types exactly.
fn same_row(dtype: i32, a: &[u8], b: &[u8]) -> bool {
    if dtype != 43 {
        return a == b;
    }
    a.chunks_exact(4).zip(b.chunks_exact(4)).all(|(x, y)| {
        let x = f32::from_le_bytes([x[0], x[1], x[2], x[3]]);
        let y = f32::from_le_bytes([y[0], y[1], y[2], y[3]]);
        (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-3 * x.abs().max(1.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(shape: &[i64], fill: u8) -> Rows {
        let n: i64 = shape.iter().product();
        Rows::new(vec![shape.to_vec()], vec![vec![fill; n as usize]])
    }

    #[test]
    fn joins_needs_same_dims_but_dim_0() {
        assert!(rows(&[1, 2, 3], 0).joins(&rows(&[4, 2, 3], 0)));
        assert!(!rows(&[1, 2, 3], 0).joins(&rows(&[1, 3, 2], 0)));
        assert!(!rows(&[1, 6], 0).joins(&rows(&[1, 2, 3], 0)));
        let mixed = Rows::new(vec![vec![1, 2], vec![2, 2]], vec![vec![0; 2], vec![0; 4]]);
        assert!(!mixed.stackable());
        assert!(!mixed.joins(&mixed));
    }

    #[test]
    fn stack_then_split_gives_each_its_rows() {
        let (a, b) = (rows(&[1, 2], 1), rows(&[3, 2], 2));
        let (shapes, data) = stack(&[&a, &b]);
        assert_eq!(shapes, vec![vec![4, 2]]);
        assert_eq!(data, vec![vec![1, 1, 2, 2, 2, 2, 2, 2]]);
        let out = TensorData {
            info: TensorInfo {
                name: "y".into(),
                dtype: 37,
                format: 0,
                shape: vec![4, 1],
                data_size: 4,
            },
            data: Some(vec![10, 20, 30, 40]),
        };
        let Ok(per) = split(vec![out.clone()], &[1, 3]) else {
            panic!("split failed");
        };
        assert_eq!(per[0][0].data, Some(vec![10]));
        assert_eq!(per[0][0].info.shape, vec![1, 1]);
        assert_eq!(per[1][0].data, Some(vec![20, 30, 40]));
        assert_eq!(per[1][0].info.shape, vec![3, 1]);
        assert!(split(vec![out], &[1, 2]).is_err());
    }
}
