//! Structural check of MegEngine `.mge` model bytes, run before the engine's loader sees them.
//!
//! MegEngine 1.13 runs the flatbuffers verifier on v2 models itself, but then dereferences
//! optional fields without checking them, so some structurally valid but corrupt files crash
//! the process (SIGSEGV) instead of failing to load: for example an operator whose `type`
//! string is missing. [`check_mge`] repeats the verifier's bounds checks in safe Rust and adds
//! the semantic checks tied to the crashes observed by mutation testing of the 1.13 loader.
//!
//! What is checked, by container:
//! - plain v2 (`mgv2` flatbuffer with a size prefix; bytes after it are ignored, as the
//!   engine does): container, every offset, vtable, vector and string of the `Model` schema,
//!   then the semantic rules listed on [`check_mge`]. Alignment is not checked: a misaligned
//!   file is at worst refused cleanly by the engine's own verifier;
//! - `packed_model` (lite's packed format): the `PackModel` flatbuffer, which lite reads
//!   *without* verifying it; the inner model is checked like a bare file when it is stored
//!   unencrypted (`model_decryption_method == "NONE"`), otherwise it cannot be checked;
//! - v1 (`MGBS`): only the container bounds and the `mgb1` identifier; the v1 graph is verified
//!   by the engine and its loader was not studied;
//! - anything else (encrypted bare models, unknown formats): accepted, the engine or its
//!   decryption decides.
//!
//! Parameter tables of operators (`param`, `additional_params`) are opaque here: only their
//! table start, vtable and field positions are bounds-checked. The one exception is
//! `param.Dimshuffle`, whose empty pattern with ndim 0 crashes the loader.

use std::collections::{HashMap, HashSet};
use std::fmt;

/// A structural problem found in a .mge model; `message` is one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MgeProblem {
    /// What is wrong and where, on one line.
    pub message: String,
}

impl MgeProblem {
    fn new(message: String) -> Self {
        Self { message }
    }
}

impl fmt::Display for MgeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MgeProblem {}

type Res<T> = Result<T, MgeProblem>;

/// Tag of lite's packed format, followed by a `PackModel` flatbuffer (no size prefix).
const PACKED_TAG: &[u8] = b"packed_model";
/// Magic of the v1 (`GraphDumpFormat::FLATBUFFERS`) container.
const V1_MAGIC: &[u8] = b"MGBS";
const V1_IDENT: &[u8] = b"mgb1";
const V2_IDENT: &[u8] = b"mgv2";
/// The engine reads 25 bytes to recognise a v2 file.
const V2_MIN_LEN: usize = 25;
/// flatbuffers::Verifier defaults.
const MAX_DEPTH: usize = 64;
const MAX_TABLES: usize = 1_000_000;
/// FLATBUFFERS_MAX_BUFFER_SIZE.
const FB_MAX_SIZE: usize = (1 << 31) - 1;
const MAX_NDIM: usize = 7;
const MAX_ELEMENTS: u64 = 1 << 31;
/// Names longer than this are cut in messages.
const NAME_LIMIT: usize = 64;

/// Checks model bytes (plain v2, packed, or unknown/encrypted: Ok). Never panics.
///
/// Besides the flatbuffers structure, a v2 model (bare or packed unencrypted) must satisfy:
/// - `oprs` and `output_vars_idx` are present and non-empty;
/// - every operator has a non-empty `type`; a non-zero `param_type` comes with a `param`;
///   `additional_params_type` and `additional_params` are both present with equal lengths,
///   or both absent; every `comp_node` entry has a non-empty locator; a `param.Dimshuffle`
///   does not have both an empty (or absent) pattern and ndim 0; when `middle_tensors` is
///   non-empty, the output ids the loader looks up in it (those that count up from 0 across
///   operators) are within it;
/// - every operator tensor has a comp node with a non-empty locator and a dtype; dtypes
///   (also `output_dtype` and middle tensor dtypes, when present) are known (0..=19) and
///   quantized ones carry their `LinearQuantizationParam`; shapes have at most 7 dims and
///   fewer than 2^31 elements; non-empty data holds exactly the bytes the shape and dtype
///   declare;
/// - every middle tensor has a name; every output alias has a name and the `original_id`
///   of one of the output vars.
///
/// Id order and the ids of inputs are not checked: the 1.13 loader refuses bad ones cleanly.
pub fn check_mge(bytes: &[u8]) -> Result<(), MgeProblem> {
    if bytes.starts_with(PACKED_TAG) {
        check_packed(bytes)
    } else {
        check_bare(bytes)
    }
}

/// A model that is not wrapped in the packed format.
fn check_bare(bytes: &[u8]) -> Res<()> {
    if bytes.get(8..12) == Some(V2_IDENT) {
        check_v2(bytes)
    } else if bytes.starts_with(V1_MAGIC) {
        check_v1(bytes)
    } else {
        // Unknown or encrypted (e.g. an AES bare model): the engine decides.
        Ok(())
    }
}

fn read_u32(bytes: &[u8], pos: usize) -> Option<u32> {
    let b = bytes.get(pos..pos.checked_add(4)?)?;
    Some(u32::from_le_bytes(b.try_into().ok()?))
}

fn read_u64(bytes: &[u8], pos: usize) -> Option<u64> {
    let b = bytes.get(pos..pos.checked_add(8)?)?;
    Some(u64::from_le_bytes(b.try_into().ok()?))
}

/// v1: `MGBS`, 4 reserved bytes, u64 `offset_to_fbs`, tensor data, u32 size, `Graph`
/// flatbuffer (identifier `mgb1`). Only the container is checked.
fn check_v1(bytes: &[u8]) -> Res<()> {
    let fail = |what: String| Err(MgeProblem::new(format!("v1 model: {what}")));
    let len = bytes.len();
    let Some(offset) = read_u64(bytes, 8) else {
        return fail(format!("only {len} bytes, shorter than the 16-byte header"));
    };
    let size_at = usize::try_from(offset).ok().and_then(|o| o.checked_add(16));
    let Some(size) = size_at.and_then(|at| read_u32(bytes, at)) else {
        return fail(format!(
            "offset_to_fbs {offset} points past the end of the {len}-byte file"
        ));
    };
    let start = size_at.and_then(|at| at.checked_add(4));
    let end = start.and_then(|s| s.checked_add(usize::try_from(size).ok()?));
    match (start, end) {
        (Some(start), Some(end)) if end <= len => {
            if size < 8 || bytes.get(start + 4..start + 8) != Some(V1_IDENT) {
                fail("graph flatbuffer does not carry the mgb1 identifier".to_string())
            } else {
                Ok(())
            }
        }
        _ => fail(format!(
            "graph flatbuffer of {size} bytes after offset_to_fbs {offset} runs past the end of the {len}-byte file"
        )),
    }
}

/// v2: u32 size prefix, then a `Model` flatbuffer with identifier `mgv2`.
fn check_v2(bytes: &[u8]) -> Res<()> {
    let len = bytes.len();
    if len < V2_MIN_LEN {
        return Err(MgeProblem::new(format!(
            "v2 model is only {len} bytes (at least {V2_MIN_LEN} expected)"
        )));
    }
    // The engine reads `size` bytes after the prefix and ignores anything after them.
    let size = read_u32(bytes, 0).unwrap_or(0);
    let buf = usize::try_from(size)
        .ok()
        .and_then(|size| bytes.get(4..size.checked_add(4)?));
    let Some(buf) = buf else {
        return Err(MgeProblem::new(format!(
            "v2 size prefix says {size} bytes but only {} follow it (truncated file)",
            len - 4
        )));
    };
    let mut v = Verifier::new(buf);
    let model = v.model()?;
    semantic(&v, &model)
}

// ------------------------------------------------------------------------------------------
// Locations for messages
// ------------------------------------------------------------------------------------------

/// Where a problem is; rendered only when a problem is reported.
#[derive(Debug, Clone, Copy)]
enum Loc {
    Model,
    Metadata,
    Operator(usize),
    OperatorCompNode(usize, usize),
    OperatorAddParam(usize, usize),
    OperatorBlob(usize, usize),
    OperatorTensor(usize, usize),
    MiddleTensor(usize),
    OutputVar(usize),
    OutputAlias(usize),
    Pack,
    PackEntry,
    PackHeader,
    PackInfo,
    PackData,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Loc::Model => write!(f, "model"),
            Loc::Metadata => write!(f, "model metadata"),
            Loc::Operator(i) => write!(f, "operator #{i}"),
            Loc::OperatorCompNode(i, j) => write!(f, "comp_node #{j} of operator #{i}"),
            Loc::OperatorAddParam(i, j) => write!(f, "additional param #{j} of operator #{i}"),
            Loc::OperatorBlob(i, j) => write!(f, "custom_data blob #{j} of operator #{i}"),
            Loc::OperatorTensor(i, j) => write!(f, "tensor #{j} of operator #{i}"),
            Loc::MiddleTensor(i) => write!(f, "middle tensor #{i}"),
            Loc::OutputVar(i) => write!(f, "output var #{i}"),
            Loc::OutputAlias(i) => write!(f, "output alias #{i}"),
            Loc::Pack => write!(f, "packed model"),
            Loc::PackEntry => write!(f, "packed model entry"),
            Loc::PackHeader => write!(f, "packed model header"),
            Loc::PackInfo => write!(f, "packed model info"),
            Loc::PackData => write!(f, "packed model data"),
        }
    }
}

/// A field name, optionally with a sub-field (`dtype.param`).
#[derive(Debug, Clone, Copy)]
struct Field(&'static str, &'static str);

impl Field {
    const fn new(name: &'static str) -> Self {
        Field(name, "")
    }
    const fn sub(name: &'static str, sub: &'static str) -> Self {
        Field(name, sub)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.1.is_empty() {
            f.write_str(self.0)
        } else {
            write!(f, "{}.{}", self.0, self.1)
        }
    }
}

impl Loc {
    fn problem(self, field: Field, problem: &str) -> MgeProblem {
        MgeProblem::new(format!("{self}, field {field}: {problem}"))
    }
}

/// A byte string for messages: quoted, escaped onto one line, cut after [`NAME_LIMIT`] bytes.
fn quote(raw: &[u8]) -> String {
    let cut = raw.len().min(NAME_LIMIT);
    let text = String::from_utf8_lossy(raw.get(..cut).unwrap_or_default());
    if raw.len() > cut {
        format!("{text:?}…")
    } else {
        format!("{text:?}")
    }
}

// ------------------------------------------------------------------------------------------
// flatbuffers verification (the checks of flatbuffers::Verifier, without alignment)
// ------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct Table {
    pos: usize,
    vtable: usize,
    vsize: usize,
}

struct Verifier<'a> {
    buf: &'a [u8],
    depth: usize,
    tables: usize,
    /// Loop iterations so far; bounded so that shared (aliased) vectors cannot make the
    /// check quadratic.
    steps: usize,
    max_steps: usize,
    /// vtable position -> largest field offset, for opaque tables.
    opaque_extent: HashMap<usize, usize>,
}

impl<'a> Verifier<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            depth: 0,
            tables: 0,
            steps: 0,
            max_steps: buf.len().saturating_add(MAX_TABLES),
            opaque_extent: HashMap::new(),
        }
    }

    /// `Verifier::Verify(elem, elem_len)`: `len < size && pos <= size - len`.
    fn fits(&self, pos: usize, len: usize) -> bool {
        let n = self.buf.len();
        len < n && pos <= n - len
    }

    fn require(&self, pos: usize, len: usize, loc: Loc, field: Field, problem: &str) -> Res<()> {
        if self.fits(pos, len) {
            Ok(())
        } else {
            Err(loc.problem(field, problem))
        }
    }

    fn step(&mut self, loc: Loc, field: Field) -> Res<()> {
        self.steps += 1;
        if self.steps > self.max_steps {
            Err(loc.problem(
                field,
                "structure too complex (elements shared far more than a real model does)",
            ))
        } else {
            Ok(())
        }
    }

    fn array<const N: usize>(&self, pos: usize, loc: Loc, field: Field) -> Res<[u8; N]> {
        pos.checked_add(N)
            .and_then(|end| self.buf.get(pos..end))
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| loc.problem(field, "read out of bounds"))
    }

    fn u8_at(&self, pos: usize, loc: Loc, field: Field) -> Res<u8> {
        Ok(u8::from_le_bytes(self.array(pos, loc, field)?))
    }

    fn u16_at(&self, pos: usize, loc: Loc, field: Field) -> Res<u16> {
        Ok(u16::from_le_bytes(self.array(pos, loc, field)?))
    }

    fn u32_at(&self, pos: usize, loc: Loc, field: Field) -> Res<u32> {
        Ok(u32::from_le_bytes(self.array(pos, loc, field)?))
    }

    fn i32_at(&self, pos: usize, loc: Loc, field: Field) -> Res<i32> {
        Ok(i32::from_le_bytes(self.array(pos, loc, field)?))
    }

    /// `VerifyTableStart`: the table's soffset, its vtable and the vtable's size.
    fn table(&mut self, pos: usize, loc: Loc, field: Field) -> Res<Table> {
        self.require(pos, 4, loc, field, "table out of bounds")?;
        let soffset = i64::from(self.i32_at(pos, loc, field)?);
        let vtable = i64::try_from(pos)
            .ok()
            .and_then(|p| p.checked_sub(soffset))
            .and_then(|v| usize::try_from(v).ok())
            .filter(|&v| self.fits(v, 2))
            .ok_or_else(|| loc.problem(field, "vtable out of bounds"))?;
        self.depth += 1;
        self.tables += 1;
        if self.depth > MAX_DEPTH || self.tables > MAX_TABLES {
            return Err(loc.problem(field, "too many tables (flatbuffers verifier limit)"));
        }
        let vsize = usize::from(self.u16_at(vtable, loc, field)?);
        if vsize % 2 != 0 {
            return Err(loc.problem(field, "vtable size is odd"));
        }
        self.require(vtable, vsize, loc, field, "vtable out of bounds")?;
        Ok(Table { pos, vtable, vsize })
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// The field's offset inside the table, 0 when absent.
    fn slot(&self, t: &Table, index: usize, loc: Loc, field: Field) -> Res<usize> {
        let at = 4 + 2 * index;
        if at + 2 > t.vsize {
            return Ok(0);
        }
        Ok(usize::from(self.u16_at(t.vtable + at, loc, field)?))
    }

    /// A scalar field of `size` bytes: its position when present.
    fn scalar(
        &self,
        t: &Table,
        index: usize,
        size: usize,
        loc: Loc,
        field: Field,
    ) -> Res<Option<usize>> {
        let off = self.slot(t, index, loc, field)?;
        if off == 0 {
            return Ok(None);
        }
        let pos = t.pos.saturating_add(off);
        self.require(pos, size, loc, field, "field out of bounds")?;
        Ok(Some(pos))
    }

    fn field_u8(&self, t: &Table, index: usize, loc: Loc, field: Field) -> Res<Option<u8>> {
        match self.scalar(t, index, 1, loc, field)? {
            Some(pos) => Ok(Some(self.u8_at(pos, loc, field)?)),
            None => Ok(None),
        }
    }

    fn field_u32(&self, t: &Table, index: usize, loc: Loc, field: Field) -> Res<Option<u32>> {
        match self.scalar(t, index, 4, loc, field)? {
            Some(pos) => Ok(Some(self.u32_at(pos, loc, field)?)),
            None => Ok(None),
        }
    }

    /// An offset field (table, vector, string): the position it points to when present.
    fn offset_field(&self, t: &Table, index: usize, loc: Loc, field: Field) -> Res<Option<usize>> {
        let off = self.slot(t, index, loc, field)?;
        if off == 0 {
            return Ok(None);
        }
        self.follow(t.pos.saturating_add(off), loc, field).map(Some)
    }

    /// `VerifyOffset`: a non-zero, non-negative uoffset whose target is in the buffer.
    fn follow(&self, at: usize, loc: Loc, field: Field) -> Res<usize> {
        self.require(at, 4, loc, field, "offset out of bounds")?;
        let off = self.u32_at(at, loc, field)?;
        if off == 0 {
            return Err(loc.problem(field, "zero offset"));
        }
        if i32::try_from(off).is_err() {
            return Err(loc.problem(field, "negative offset"));
        }
        at.checked_add(off as usize)
            .filter(|&target| self.fits(target, 1))
            .ok_or_else(|| loc.problem(field, "offset points outside the buffer"))
    }

    /// `VerifyVector`: the element count of a vector of `elem_size`-byte elements.
    fn vector(&self, pos: usize, elem_size: usize, loc: Loc, field: Field) -> Res<usize> {
        self.require(pos, 4, loc, field, "vector length out of bounds")?;
        let n = self.u32_at(pos, loc, field)? as usize;
        if n >= FB_MAX_SIZE / elem_size {
            return Err(loc.problem(field, "vector too long"));
        }
        self.require(pos, 4 + elem_size * n, loc, field, "vector out of bounds")?;
        Ok(n)
    }

    /// `VerifyString`: a byte vector followed by a NUL.
    fn string(&self, pos: usize, loc: Loc, field: Field) -> Res<&'a [u8]> {
        let n = self.vector(pos, 1, loc, field)?;
        let end = pos + 4 + n;
        if !self.fits(end, 1) || self.buf.get(end) != Some(&0) {
            return Err(loc.problem(field, "string is not NUL-terminated"));
        }
        self.buf
            .get(pos + 4..end)
            .ok_or_else(|| loc.problem(field, "read out of bounds"))
    }

    fn opt_string(&self, t: &Table, index: usize, loc: Loc, field: Field) -> Res<Option<&'a [u8]>> {
        match self.offset_field(t, index, loc, field)? {
            Some(pos) => self.string(pos, loc, field).map(Some),
            None => Ok(None),
        }
    }

    /// Verifies a vector field of `elem_size`-byte scalars; returns (first element, count).
    fn opt_vector(
        &self,
        t: &Table,
        index: usize,
        elem_size: usize,
        loc: Loc,
        field: Field,
    ) -> Res<Option<(usize, usize)>> {
        match self.offset_field(t, index, loc, field)? {
            Some(pos) => Ok(Some((pos + 4, self.vector(pos, elem_size, loc, field)?))),
            None => Ok(None),
        }
    }

    /// `Vector<Offset<T>>::Get(i)` as the generated verifier uses it: the offset is followed
    /// without `VerifyOffset`; the table check that follows does the bounds checking.
    fn element(&self, first: usize, i: usize, loc: Loc, field: Field) -> Res<usize> {
        let at = first + 4 * i;
        let off = self.u32_at(at, loc, field)?;
        at.checked_add(off as usize)
            .ok_or_else(|| loc.problem(field, "offset points outside the buffer"))
    }

    /// A table whose schema is not modelled (operator params, tensor formats): its start,
    /// its vtable and every present field start must be in the buffer.
    fn opaque_table(&mut self, pos: usize, loc: Loc, field: Field) -> Res<Table> {
        let t = self.table(pos, loc, field)?;
        let extent = match self.opaque_extent.get(&t.vtable) {
            Some(&e) => e,
            None => {
                let mut extent = 0;
                for i in 0..t.vsize.saturating_sub(4) / 2 {
                    extent = extent.max(self.slot(&t, i, loc, field)?);
                }
                self.opaque_extent.insert(t.vtable, extent);
                extent
            }
        };
        if extent != 0 && !self.fits(t.pos.saturating_add(extent), 1) {
            return Err(loc.problem(field, "field out of bounds"));
        }
        self.leave();
        Ok(t)
    }
}

// ------------------------------------------------------------------------------------------
// The v2 schema
// ------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct DTypeInfo {
    ty: i8,
    param_type: u8,
    has_param: bool,
}

#[derive(Debug)]
struct TensorInfo<'a> {
    name: Option<&'a [u8]>,
    /// First dim's position and the number of dims.
    shape: Option<(usize, usize)>,
    /// `None`: no comp node table; `Some(None)`: a comp node without locator.
    comp_node: Option<Option<&'a [u8]>>,
    dtype: Option<DTypeInfo>,
    data_len: Option<usize>,
}

#[derive(Debug)]
struct OprInfo<'a> {
    ty: Option<&'a [u8]>,
    param_type: u8,
    has_param: bool,
    /// A `param.Dimshuffle` with an empty or absent pattern and ndim 0.
    degenerate_dimshuffle: bool,
    /// First element's position and count of the `outputs` ids.
    outputs: Option<(usize, usize)>,
    comp_nodes: Vec<Option<&'a [u8]>>,
    output_dtype: Option<DTypeInfo>,
    tensors: Vec<TensorInfo<'a>>,
}

#[derive(Debug)]
struct ModelInfo<'a> {
    oprs: Option<Vec<OprInfo<'a>>>,
    middle: Vec<TensorInfo<'a>>,
    /// (compact_id, original_id)
    outputs: Option<Vec<(u32, u32)>>,
    aliases: Vec<(u32, Option<&'a [u8]>)>,
}

impl<'a> Verifier<'a> {
    fn model(&mut self) -> Res<ModelInfo<'a>> {
        let loc = Loc::Model;
        let root = self.follow(0, loc, Field::new("root offset"))?;
        let t = self.table(root, loc, Field::new("table"))?;
        self.scalar(&t, 0, 4, loc, Field::new("mge_version"))?;
        self.scalar(&t, 1, 4, loc, Field::new("model_version"))?;

        let f = Field::new("oprs");
        let oprs = match self.opt_vector(&t, 2, 4, loc, f)? {
            Some((first, n)) => {
                let mut oprs = Vec::new();
                for i in 0..n {
                    self.step(loc, f)?;
                    let pos = self.element(first, i, loc, f)?;
                    oprs.push(self.operator(pos, i)?);
                }
                Some(oprs)
            }
            None => None,
        };

        let f = Field::new("middle_tensors");
        let mut middle = Vec::new();
        if let Some((first, n)) = self.opt_vector(&t, 3, 4, loc, f)? {
            for i in 0..n {
                self.step(loc, f)?;
                let pos = self.element(first, i, loc, f)?;
                middle.push(self.tensor(pos, Loc::MiddleTensor(i), true)?);
            }
        }

        let f = Field::new("output_vars_idx");
        let outputs = match self.opt_vector(&t, 4, 4, loc, f)? {
            Some((first, n)) => {
                let mut outputs = Vec::new();
                for i in 0..n {
                    self.step(loc, f)?;
                    let l = Loc::OutputVar(i);
                    let pos = self.element(first, i, l, Field::new("table"))?;
                    let o = self.table(pos, l, Field::new("table"))?;
                    let compact = self.field_u32(&o, 0, l, Field::new("compact_id"))?;
                    let original = self.field_u32(&o, 1, l, Field::new("original_id"))?;
                    self.leave();
                    outputs.push((compact.unwrap_or(0), original.unwrap_or(0)));
                }
                Some(outputs)
            }
            None => None,
        };

        let f = Field::new("output_alias");
        let mut aliases = Vec::new();
        if let Some((first, n)) = self.opt_vector(&t, 5, 4, loc, f)? {
            for i in 0..n {
                self.step(loc, f)?;
                let l = Loc::OutputAlias(i);
                let pos = self.element(first, i, l, Field::new("table"))?;
                let a = self.table(pos, l, Field::new("table"))?;
                let id = self.field_u32(&a, 0, l, Field::new("id"))?;
                let name = self.opt_string(&a, 1, l, Field::new("name"))?;
                self.leave();
                aliases.push((id.unwrap_or(0), name));
            }
        }

        self.scalar(&t, 6, 4, loc, Field::new("nr_shared_tensor"))?;
        if let Some(pos) = self.offset_field(&t, 7, loc, Field::new("metadata"))? {
            let l = Loc::Metadata;
            let m = self.table(pos, l, Field::new("table"))?;
            self.scalar(&m, 0, 1, l, Field::new("is_valid"))?;
            self.scalar(&m, 1, 1, l, Field::new("graph_modified"))?;
            self.scalar(&m, 2, 8, l, Field::new("optimize_options"))?;
            self.opt_string(&m, 3, l, Field::new("user_info"))?;
            self.leave();
        }
        self.leave();
        Ok(ModelInfo {
            oprs,
            middle,
            outputs,
            aliases,
        })
    }

    fn operator(&mut self, pos: usize, i: usize) -> Res<OprInfo<'a>> {
        let loc = Loc::Operator(i);
        let t = self.table(pos, loc, Field::new("table"))?;
        let ty = self.opt_string(&t, 0, loc, Field::new("type"))?;
        self.scalar(&t, 1, 8, loc, Field::new("type_id"))?;
        self.opt_string(&t, 2, loc, Field::new("name"))?;
        let param_type = self
            .field_u8(&t, 3, loc, Field::new("param_type"))?
            .unwrap_or(0);
        let param = self.offset_field(&t, 4, loc, Field::new("param"))?;
        let mut degenerate_dimshuffle = false;
        if let Some(p) = param {
            if param_type != 0 {
                let pt = self.opaque_table(p, loc, Field::new("param"))?;
                if param_type == PARAM_DIMSHUFFLE {
                    degenerate_dimshuffle = self.degenerate_dimshuffle(&pt, loc)?;
                }
            }
        }

        let ft = Field::new("additional_params_type");
        let fv = Field::new("additional_params");
        let types = self.opt_vector(&t, 5, 1, loc, ft)?;
        let values = self.opt_vector(&t, 6, 4, loc, fv)?;
        match (types, values) {
            (None, None) => {}
            (Some((types, nt)), Some((values, nv))) => {
                if nt != nv {
                    return Err(loc.problem(
                        fv,
                        &format!("{nt} additional param types but {nv} additional params"),
                    ));
                }
                for k in 0..nv {
                    self.step(loc, fv)?;
                    if self.u8_at(types + k, loc, ft)? != 0 {
                        let l = Loc::OperatorAddParam(i, k);
                        let pos = self.element(values, k, l, Field::new("table"))?;
                        self.opaque_table(pos, l, Field::new("table"))?;
                    }
                }
            }
            _ => return Err(loc.problem(
                fv,
                "additional_params and additional_params_type must be both present or both absent",
            )),
        }

        self.opt_vector(&t, 7, 4, loc, Field::new("inputs"))?;
        let outputs = self.opt_vector(&t, 8, 4, loc, Field::new("outputs"))?;

        let f = Field::new("comp_node");
        let mut comp_nodes = Vec::new();
        if let Some((first, n)) = self.opt_vector(&t, 9, 4, loc, f)? {
            for k in 0..n {
                self.step(loc, f)?;
                let l = Loc::OperatorCompNode(i, k);
                let pos = self.element(first, k, l, Field::new("table"))?;
                comp_nodes.push(self.comp_node(pos, l, Field::new("table"))?);
            }
        }

        let output_dtype = match self.offset_field(&t, 10, loc, Field::new("output_dtype"))? {
            Some(pos) => Some(self.dtype(pos, loc, "output_dtype")?),
            None => None,
        };

        let f = Field::new("tensors");
        let mut tensors = Vec::new();
        if let Some((first, n)) = self.opt_vector(&t, 11, 4, loc, f)? {
            for k in 0..n {
                self.step(loc, f)?;
                let l = Loc::OperatorTensor(i, k);
                let pos = self.element(first, k, l, Field::new("table"))?;
                tensors.push(self.tensor(pos, l, false)?);
            }
        }

        self.scalar(&t, 12, 4, loc, Field::new("opr_version"))?;
        self.scalar(&t, 13, 4, loc, Field::new("priority"))?;

        let f = Field::new("custom_data");
        if let Some((first, n)) = self.opt_vector(&t, 14, 4, loc, f)? {
            for k in 0..n {
                self.step(loc, f)?;
                let l = Loc::OperatorBlob(i, k);
                let pos = self.element(first, k, l, Field::new("table"))?;
                let b = self.table(pos, l, Field::new("table"))?;
                self.opt_vector(&b, 0, 1, l, Field::new("data"))?;
                self.leave();
            }
        }
        self.leave();
        Ok(OprInfo {
            ty,
            param_type,
            has_param: param.is_some(),
            degenerate_dimshuffle,
            outputs,
            comp_nodes,
            output_dtype,
            tensors,
        })
    }

    /// Whether a `param.Dimshuffle { pattern: [int], ndim: uint }` table has an empty or
    /// absent pattern and ndim 0: the 1.13 loader crashes (SIGSEGV) on such a param.
    fn degenerate_dimshuffle(&self, t: &Table, loc: Loc) -> Res<bool> {
        let pattern = self.opt_vector(t, 0, 4, loc, Field::new("param.pattern"))?;
        let ndim = self.field_u32(t, 1, loc, Field::new("param.ndim"))?;
        Ok(pattern.map_or(0, |(_, n)| n) == 0 && ndim.unwrap_or(0) == 0)
    }

    /// A `CompNode` table: its locator, if any.
    fn comp_node(&mut self, pos: usize, loc: Loc, field: Field) -> Res<Option<&'a [u8]>> {
        let t = self.table(pos, loc, field)?;
        let locator = self.opt_string(&t, 0, loc, Field::sub(field.0, "logical_locator"))?;
        self.leave();
        Ok(locator)
    }

    /// A `DType` table (`name` is the field holding it).
    fn dtype(&mut self, pos: usize, loc: Loc, name: &'static str) -> Res<DTypeInfo> {
        let t = self.table(pos, loc, Field::new(name))?;
        let ty = self.field_u8(&t, 0, loc, Field::sub(name, "type"))?;
        let param_type = self
            .field_u8(&t, 1, loc, Field::sub(name, "param_type"))?
            .unwrap_or(0);
        let param = self.offset_field(&t, 2, loc, Field::sub(name, "param"))?;
        if let (Some(p), 1) = (param, param_type) {
            let f = Field::sub(name, "param");
            let q = self.table(p, loc, f)?;
            self.scalar(&q, 0, 4, loc, Field::sub(name, "param.scale"))?;
            self.scalar(&q, 1, 1, loc, Field::sub(name, "param.zero_point"))?;
            self.leave();
        }
        self.leave();
        Ok(DTypeInfo {
            ty: ty.map_or(0, |b| i8::from_le_bytes([b])),
            param_type,
            has_param: param.is_some(),
        })
    }

    /// A `TensorFormat` union member: `DefaultTensorFormat {}` (1),
    /// `Image2DPackedTensorFormat { align_axis: ubyte }` (2) or
    /// `LowbitsAlignedTensorFormat { size_nbits: ubyte, align_size_in_bits: ubyte }` (3).
    /// Other types are not verified (the engine refuses them when loading).
    fn format(&mut self, pos: usize, format_type: u8, loc: Loc) -> Res<()> {
        let names: &[&'static str] = match format_type {
            1 => &[],
            2 => &["format.align_axis"],
            3 => &["format.size_nbits", "format.align_size_in_bits"],
            _ => return Ok(()),
        };
        let t = self.table(pos, loc, Field::new("format"))?;
        for (index, &name) in names.iter().enumerate() {
            self.scalar(&t, index, 1, loc, Field::new(name))?;
        }
        self.leave();
        Ok(())
    }

    /// A `Tensor` (or, with `middle`, a `MiddleTensor`, which has no data).
    fn tensor(&mut self, pos: usize, loc: Loc, middle: bool) -> Res<TensorInfo<'a>> {
        let t = self.table(pos, loc, Field::new("table"))?;
        let name = self.opt_string(&t, 0, loc, Field::new("name"))?;
        let shape = self.opt_vector(&t, 1, 4, loc, Field::new("shape"))?;
        let comp_node = match self.offset_field(&t, 2, loc, Field::new("comp_node"))? {
            Some(p) => Some(self.comp_node(p, loc, Field::new("comp_node"))?),
            None => None,
        };
        let dtype = match self.offset_field(&t, 3, loc, Field::new("dtype"))? {
            Some(p) => Some(self.dtype(p, loc, "dtype")?),
            None => None,
        };
        let format_type = self
            .field_u8(&t, 4, loc, Field::new("format_type"))?
            .unwrap_or(0);
        if let Some(p) = self.offset_field(&t, 5, loc, Field::new("format"))? {
            self.format(p, format_type, loc)?;
        }
        let data_len = if middle {
            None
        } else {
            self.opt_vector(&t, 6, 1, loc, Field::new("data"))?
                .map(|(_, n)| n)
        };
        self.leave();
        Ok(TensorInfo {
            name,
            shape,
            comp_node,
            dtype,
            data_len,
        })
    }
}

// ------------------------------------------------------------------------------------------
// Semantic checks (tied to crashes of the 1.13 loader)
// ------------------------------------------------------------------------------------------

/// (name, bits per element) of `DTypeEnum` values 0..=19.
const DTYPES: [(&str, u64); 20] = [
    ("float32", 32),
    ("uint8", 8),
    ("int8", 8),
    ("int16", 16),
    ("int32", 32),
    ("intb1", 1),
    ("intb2", 2),
    ("intb4", 4),
    ("byte", 8),
    ("float16", 16),
    ("uintb4", 4),
    ("quint8", 8),
    ("qint32", 32),
    ("qint8", 8),
    ("quint4", 4),
    ("qint4", 4),
    ("qint16", 16),
    ("bfloat16", 16),
    ("bool", 8),
    ("uint16", 16),
];

/// `OperatorParam` union type of `param.Dimshuffle`.
const PARAM_DIMSHUFFLE: u8 = 64;

/// Quantized8Asymm ..= QuantizedS16: need a `LinearQuantizationParam`.
fn is_quantized(ty: i8) -> bool {
    (11..=16).contains(&ty)
}

/// Checks a dtype; returns its (name, bits).
fn check_dtype(d: &DTypeInfo, what: &dyn Fn() -> String) -> Res<(&'static str, u64)> {
    let Some(&(name, bits)) = usize::try_from(d.ty).ok().and_then(|i| DTYPES.get(i)) else {
        return Err(MgeProblem::new(format!(
            "{} has unknown dtype {}",
            what(),
            d.ty
        )));
    };
    if is_quantized(d.ty) && !(d.param_type == 1 && d.has_param) {
        return Err(MgeProblem::new(format!(
            "{} has quantized dtype {name} without its scale/zero-point param",
            what()
        )));
    }
    Ok((name, bits))
}

fn operator_label(i: usize, o: &OprInfo<'_>) -> String {
    match o.ty {
        Some(ty) if !ty.is_empty() => format!("operator #{i} ({})", quote(ty)),
        _ => format!("operator #{i}"),
    }
}

fn semantic(v: &Verifier<'_>, m: &ModelInfo<'_>) -> Res<()> {
    let oprs = match &m.oprs {
        Some(oprs) if !oprs.is_empty() => oprs,
        _ => return Err(MgeProblem::new("model has no operators".to_string())),
    };
    let outputs = match &m.outputs {
        Some(outputs) if !outputs.is_empty() => outputs,
        _ => {
            return Err(MgeProblem::new(
                "model declares no outputs (output_vars_idx missing or empty)".to_string(),
            ))
        }
    };
    let middle_count = m.middle.len();
    let mut budget = v.max_steps;
    let mut next_var = 0u64;
    for (i, o) in oprs.iter().enumerate() {
        if o.ty.map_or(true, <[u8]>::is_empty) {
            return Err(MgeProblem::new(format!("operator #{i} has no type string")));
        }
        let label = || operator_label(i, o);
        if o.param_type != 0 && !o.has_param {
            return Err(MgeProblem::new(format!(
                "{} declares param type {} but has no param",
                label(),
                o.param_type
            )));
        }
        if o.degenerate_dimshuffle {
            return Err(MgeProblem::new(format!(
                "{} has a Dimshuffle param with an empty pattern and ndim 0",
                label()
            )));
        }
        for (k, locator) in o.comp_nodes.iter().enumerate() {
            if locator.map_or(true, <[u8]>::is_empty) {
                return Err(MgeProblem::new(format!(
                    "comp_node #{k} of {} has no locator",
                    label()
                )));
            }
        }
        if let Some(d) = &o.output_dtype {
            check_dtype(d, &|| format!("output_dtype of {}", label()))?;
        }
        check_output_ids(v, o, middle_count, &mut next_var, &mut budget, &label)?;
        for (k, t) in o.tensors.iter().enumerate() {
            let tlabel = || match t.name {
                Some(name) => format!("tensor {} of operator #{i}", quote(name)),
                None => format!("tensor #{k} of operator #{i}"),
            };
            check_operator_tensor(v, t, &tlabel)?;
        }
    }
    for (k, t) in m.middle.iter().enumerate() {
        if t.name.is_none() {
            return Err(MgeProblem::new(format!("middle tensor #{k} has no name")));
        }
        if let Some(d) = &t.dtype {
            check_dtype(d, &|| {
                format!("middle tensor #{k} {}", quote(t.name.unwrap_or_default()))
            })?;
        }
    }
    let originals: HashSet<u32> = outputs.iter().map(|&(_, original)| original).collect();
    for (k, &(id, name)) in m.aliases.iter().enumerate() {
        let Some(name) = name else {
            return Err(MgeProblem::new(format!(
                "output alias #{k} (id {id}) has no name"
            )));
        };
        if !originals.contains(&id) {
            return Err(MgeProblem::new(format!(
                "output alias #{k} {} refers to id {id}, which is no output var's original_id",
                quote(name)
            )));
        }
    }
    Ok(())
}

/// The loader names the i-th output var of an operator after `middle_tensors[outputs[i]]`
/// whenever `middle_tensors` has more than i entries, without a bounds check: an id past a
/// short (non-empty) `middle_tensors` reads outside the vector and crashes. Before that it
/// asserts that the id equals the number of vars produced so far, and it reads only as many
/// entries as the operator really has outputs (unknown here). So the ids are followed while
/// they count up from `next_var`; an entry that breaks the count is either never read or
/// refused cleanly by the assert, and ends the operator's walk.
fn check_output_ids(
    v: &Verifier<'_>,
    o: &OprInfo<'_>,
    middle_count: usize,
    next_var: &mut u64,
    budget: &mut usize,
    label: &dyn Fn() -> String,
) -> Res<()> {
    let Some((first, n)) = o.outputs else {
        return Ok(());
    };
    for i in 0..n {
        *budget = budget.checked_sub(1).ok_or_else(|| {
            MgeProblem::new(format!(
                "{}: outputs shared far more than a real model does",
                label()
            ))
        })?;
        let id = v.u32_at(first + 4 * i, Loc::Model, Field::new("outputs"))?;
        if u64::from(id) != *next_var {
            break;
        }
        *next_var += 1;
        if i < middle_count && usize::try_from(id).map_or(true, |id| id >= middle_count) {
            return Err(MgeProblem::new(format!(
                "output #{i} of {} has id {id} but the model has only {middle_count} middle tensors",
                label()
            )));
        }
    }
    Ok(())
}

fn check_operator_tensor(
    v: &Verifier<'_>,
    t: &TensorInfo<'_>,
    label: &dyn Fn() -> String,
) -> Res<()> {
    if t.comp_node.flatten().map_or(true, <[u8]>::is_empty) {
        return Err(MgeProblem::new(format!(
            "{} has no comp_node locator",
            label()
        )));
    }
    let Some(dtype) = &t.dtype else {
        return Err(MgeProblem::new(format!("{} has no dtype", label())));
    };
    let (dtype_name, bits) = check_dtype(dtype, label)?;
    let (first, ndim) = t.shape.unwrap_or((0, 0));
    if ndim > MAX_NDIM {
        return Err(MgeProblem::new(format!(
            "{} has {ndim} dimensions (at most {MAX_NDIM} supported)",
            label()
        )));
    }
    let loc = Loc::Model;
    let field = Field::new("shape");
    let mut dims = Vec::with_capacity(ndim);
    for d in 0..ndim {
        dims.push(v.u32_at(first + 4 * d, loc, field)?);
    }
    // Any zero dim makes the tensor empty, however large the others are.
    let elements = if dims.contains(&0) {
        Some(0)
    } else {
        dims.iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(u64::from(d)))
    };
    let elements = match elements {
        Some(e) if e < MAX_ELEMENTS => e,
        _ => {
            return Err(MgeProblem::new(format!(
                "{} declares {dims:?}: 2^31 elements or more",
                label()
            )))
        }
    };
    if let Some(held) = t.data_len.filter(|&n| n > 0) {
        let need = (elements * bits).div_ceil(8);
        if u64::try_from(held).ok() != Some(need) {
            return Err(MgeProblem::new(format!(
                "{} declares {dims:?} {dtype_name} ({need} bytes) but holds {held}",
                label()
            )));
        }
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------
// lite's packed format
// ------------------------------------------------------------------------------------------

/// `packed_model` + `PackModel { models: [Model { header: ModelHeader { name,
/// info_decryption_method, info_parse_method, model_decryption_method,
/// info_cache_parse_method, is_fast_run_cache }, info: ModelInfo { data, algo_policy,
/// binary_cache }, data: ModelData { data } }] }`. Lite reads it without verification and
/// dereferences `models`, `header`, the four method/name strings and `data.data`.
fn check_packed(bytes: &[u8]) -> Res<()> {
    let buf = bytes.get(PACKED_TAG.len()..).unwrap_or_default();
    let mut v = Verifier::new(buf);
    let loc = Loc::Pack;
    let root = v.follow(0, loc, Field::new("root offset"))?;
    let t = v.table(root, loc, Field::new("table"))?;
    let f = Field::new("models");
    let Some((first, n)) = v.opt_vector(&t, 0, 4, loc, f)? else {
        return Err(MgeProblem::new("packed model has no models".to_string()));
    };
    if n != 1 {
        return Err(MgeProblem::new(format!(
            "packed model holds {n} models; MegEngine Lite supports exactly 1"
        )));
    }
    let loc = Loc::PackEntry;
    let pos = v.element(first, 0, loc, Field::new("table"))?;
    let entry = v.table(pos, loc, Field::new("table"))?;

    let Some(pos) = v.offset_field(&entry, 0, loc, Field::new("header"))? else {
        return Err(MgeProblem::new("packed model has no header".to_string()));
    };
    let l = Loc::PackHeader;
    let h = v.table(pos, l, Field::new("table"))?;
    let mut method = None;
    for (index, name) in [
        (0, "name"),
        (1, "info_decryption_method"),
        (2, "info_parse_method"),
        (3, "model_decryption_method"),
    ] {
        match v.opt_string(&h, index, l, Field::new(name))? {
            Some(s) => {
                if index == 3 {
                    method = Some(s);
                }
            }
            None => {
                return Err(MgeProblem::new(format!(
                    "packed model header has no {name} string"
                )))
            }
        }
    }
    v.opt_string(&h, 4, l, Field::new("info_cache_parse_method"))?;
    v.scalar(&h, 5, 1, l, Field::new("is_fast_run_cache"))?;
    v.leave();

    if let Some(pos) = v.offset_field(&entry, 1, loc, Field::new("info"))? {
        let l = Loc::PackInfo;
        let info = v.table(pos, l, Field::new("table"))?;
        v.opt_vector(&info, 0, 1, l, Field::new("data"))?;
        v.opt_vector(&info, 1, 1, l, Field::new("algo_policy"))?;
        v.opt_vector(&info, 2, 1, l, Field::new("binary_cache"))?;
        v.leave();
    }

    let Some(pos) = v.offset_field(&entry, 2, loc, Field::new("data"))? else {
        return Err(MgeProblem::new(
            "packed model has no model data".to_string(),
        ));
    };
    let l = Loc::PackData;
    let d = v.table(pos, l, Field::new("table"))?;
    let data = match v.opt_vector(&d, 0, 1, l, Field::new("data"))? {
        Some((first, n)) if n > 0 => buf.get(first..first + n).unwrap_or_default(),
        _ => return Err(MgeProblem::new("packed model data is empty".to_string())),
    };
    v.leave();
    v.leave();
    v.leave();

    // Lite compares the C string, which ends at the first NUL.
    let method = method.and_then(|m| m.split(|&c| c == 0).next());
    if method == Some(b"NONE".as_slice()) {
        check_bare(data).map_err(|p| MgeProblem::new(format!("packed model data: {}", p.message)))
    } else {
        // Encrypted: nothing more can be checked before decryption.
        Ok(())
    }
}

// ------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/../../fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    const FIXTURES: [&str; 6] = [
        "mlp.mge",
        "shufflenet.mge",
        "shufflenet.aes.mge",
        "two_io.mge",
        "dynamic_batch.mge",
        "dtypes.mge",
    ];
    const SMALL: [&str; 4] = ["mlp.mge", "two_io.mge", "dynamic_batch.mge", "dtypes.mge"];

    /// xorshift64*
    struct Rng(u64);
    impl Rng {
        fn next_u64(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next_u64() % n as u64) as usize
        }
    }

    fn assert_one_line(r: &Result<(), MgeProblem>) {
        if let Err(p) = r {
            assert!(!p.message.is_empty());
            assert!(!p.message.contains('\n'), "{p}");
        }
    }

    #[test]
    fn mge_check_fixtures_pass() {
        for name in FIXTURES {
            assert_eq!(check_mge(&fixture(name)), Ok(()), "{name}");
        }
    }

    #[test]
    fn mge_check_unknown_bytes_pass() {
        assert_eq!(check_mge(b""), Ok(()));
        assert_eq!(check_mge(b"mgv"), Ok(()));
        assert_eq!(check_mge(&[0u8; 100]), Ok(()));
        assert_eq!(check_mge(b"ms lite flatbuffer? not ours"), Ok(()));
    }

    #[test]
    fn mge_check_refuses_missing_operator_type() {
        let mut b = fixture("mlp.mge");
        b[36426..=36508].fill(0);
        let err = check_mge(&b).expect_err("corrupt model accepted");
        assert!(err.message.contains("operator #"), "{err}");
        assert!(err.message.contains("type"), "{err}");
        assert_eq!(err.message, "operator #5 has no type string");
    }

    #[test]
    fn mge_check_refuses_degenerate_dimshuffle() {
        // The param table of shufflenet's operator #112 (Dimshuffle): zeroing it leaves a
        // table without fields, on which the 1.13 loader crashes.
        let mut b = fixture("shufflenet.mge");
        b[1474740..1474752].fill(0);
        let err = check_mge(&b).unwrap_err();
        assert_eq!(
            err.message,
            "operator #112 (\"Dimshuffle\") has a Dimshuffle param with an empty pattern and ndim 0"
        );
    }

    #[test]
    fn mge_check_refuses_short_middle_tensors() {
        // mlp.mge's middle_tensors vector holds 13 entries; its length is at file offset 64.
        let mlp = fixture("mlp.mge");
        assert_eq!(read_u32(&mlp, 64), Some(13));
        let mut b = mlp.clone();
        b[64] = 9;
        let err = check_mge(&b).unwrap_err();
        assert_eq!(
            err.message,
            "output #0 of operator #9 (\"Elemwise\") has id 9 but the model has only 9 middle tensors"
        );
        // An empty middle_tensors vector is never indexed: the engine loads it.
        b[64] = 0;
        assert_eq!(check_mge(&b), Ok(()));
    }

    /// Position of the first dim of the first operator tensor that has data.
    fn first_data_tensor(bytes: &[u8]) -> (usize, usize, Vec<u32>) {
        let mut v = Verifier::new(&bytes[4..]);
        let m = v.model().unwrap();
        for (i, o) in m.oprs.unwrap().iter().enumerate() {
            for t in &o.tensors {
                if let (Some((first, n)), Some(len)) = (t.shape, t.data_len) {
                    if len > 0 && n > 0 {
                        let dims = (0..n)
                            .map(|d| read_u32(&bytes[4..], first + 4 * d).unwrap())
                            .collect();
                        return (i, first + 4, dims);
                    }
                }
            }
        }
        panic!("no tensor with data");
    }

    #[test]
    fn mge_check_refuses_shape_data_mismatch() {
        let mut b = fixture("mlp.mge");
        let (opr, dim0, dims) = first_data_tensor(&b);
        let wrong = dims[0] + 1;
        b[dim0..dim0 + 4].copy_from_slice(&wrong.to_le_bytes());
        let err = check_mge(&b).expect_err("mismatch accepted");
        let mut declared = dims.clone();
        declared[0] = wrong;
        let elems: u64 = declared.iter().map(|&d| u64::from(d)).product();
        let held: u64 = dims.iter().map(|&d| u64::from(d)).product::<u64>() * 4;
        assert_eq!(
            err.message,
            format!(
                "tensor #0 of operator #{opr} declares {declared:?} float32 ({} bytes) but holds {held}",
                elems * 4
            )
        );
    }

    #[test]
    fn mge_check_refuses_bad_containers() {
        let mlp = fixture("mlp.mge");
        // Bytes after the size-prefixed flatbuffer are ignored by the engine.
        let mut padded = mlp.clone();
        padded.extend_from_slice(&[0; 8]);
        assert_eq!(check_mge(&padded), Ok(()));
        let err = check_mge(&mlp[..mlp.len() - 1]).unwrap_err();
        assert!(err.message.contains("truncated"), "{err}");
        let short = &mlp[..20];
        assert!(check_mge(short)
            .unwrap_err()
            .message
            .contains("only 20 bytes"));
    }

    #[test]
    fn mge_check_truncations_never_panic() {
        for name in FIXTURES {
            let b = fixture(name);
            let step = (b.len() / 3000).max(1);
            let mut lens: Vec<usize> = (0..b.len()).step_by(step).collect();
            lens.extend(0..64.min(b.len()));
            lens.extend(b.len().saturating_sub(64)..b.len());
            for len in lens {
                let r = check_mge(&b[..len]);
                assert_one_line(&r);
                if len >= 12 && b[8..12] == *b"mgv2" {
                    assert!(r.is_err(), "{name} truncated to {len} accepted");
                }
            }
        }
    }

    fn mutate(rng: &mut Rng, b: &mut [u8]) {
        let n = b.len();
        let p = rng.below(n);
        match rng.below(4) {
            0 => b[p] = rng.next_u64() as u8,
            1 => {
                let run = 1 + rng.below(128);
                b[p..(p + run).min(n)].fill(0);
            }
            2 => b[p] ^= 1 << rng.below(8),
            _ => {
                let p = p & !3;
                let values = [
                    0,
                    1,
                    2,
                    0xffff,
                    0x7fff_ffff,
                    0xffff_ffff,
                    rng.next_u64() as u32,
                    rng.below(n) as u32,
                ];
                let v = values[rng.below(values.len())];
                if p + 4 <= n {
                    b[p..p + 4].copy_from_slice(&v.to_le_bytes());
                }
            }
        }
    }

    #[test]
    fn mge_check_random_mutants_never_panic() {
        let files: Vec<Vec<u8>> = SMALL.iter().map(|n| fixture(n)).collect();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut refused = 0;
        for k in 0..3000 {
            let orig = &files[k % files.len()];
            let mut b = orig.clone();
            for _ in 0..1 + rng.below(3) {
                mutate(&mut rng, &mut b);
            }
            let r = check_mge(&b);
            assert_one_line(&r);
            refused += usize::from(r.is_err());
        }
        // Most mutants of the flatbuffer structure are refused; many payload bytes are not.
        assert!(refused > 300, "only {refused} of 3000 mutants refused");
    }

    #[test]
    fn mge_check_shufflenet_mutants_never_panic() {
        let orig = fixture("shufflenet.mge");
        let mut rng = Rng(41);
        for _ in 0..60 {
            let mut b = orig.clone();
            mutate(&mut rng, &mut b);
            assert_one_line(&check_mge(&b));
        }
    }

    // ---- hand-built flatbuffers ----

    /// A forward flatbuffer builder: children are appended after the offsets that point to
    /// them (uoffsets only point forward); vtables precede their tables.
    struct Fb {
        buf: Vec<u8>,
    }

    impl Fb {
        fn new() -> Self {
            Fb { buf: vec![0; 4] }
        }
        fn align(&mut self) {
            while self.buf.len() % 4 != 0 {
                self.buf.push(0);
            }
        }
        fn patch(&mut self, slot: usize, target: usize) {
            let off = u32::try_from(target - slot).unwrap();
            self.buf[slot..slot + 4].copy_from_slice(&off.to_le_bytes());
        }
        /// A table of `present.len()` 4-byte fields; returns the field slot positions.
        fn table(&mut self, present: &[bool]) -> Vec<usize> {
            self.align();
            let vt = self.buf.len();
            let n = present.len();
            self.buf.extend((4 + 2 * n as u16).to_le_bytes());
            self.buf.extend((4 + 4 * n as u16).to_le_bytes());
            for (i, &p) in present.iter().enumerate() {
                let off = if p { 4 + 4 * i as u16 } else { 0 };
                self.buf.extend(off.to_le_bytes());
            }
            self.align();
            let t = self.buf.len();
            self.buf
                .extend(i32::try_from(t - vt).unwrap().to_le_bytes());
            self.buf.resize(t + 4 + 4 * n, 0);
            (0..n).map(|i| t + 4 + 4 * i).collect()
        }
        fn string(&mut self, s: &[u8]) -> usize {
            let pos = self.bytes(s);
            self.buf.push(0);
            pos
        }
        fn bytes(&mut self, s: &[u8]) -> usize {
            self.align();
            let pos = self.buf.len();
            self.buf
                .extend(u32::try_from(s.len()).unwrap().to_le_bytes());
            self.buf.extend_from_slice(s);
            pos
        }
        /// A vector of `n` offsets: (its position, the element slots).
        fn offsets(&mut self, n: usize) -> (usize, Vec<usize>) {
            self.align();
            let pos = self.buf.len();
            self.buf.extend(u32::try_from(n).unwrap().to_le_bytes());
            self.buf.resize(pos + 4 + 4 * n, 0);
            (pos, (0..n).map(|i| pos + 4 + 4 * i).collect())
        }
    }

    struct Pack<'a> {
        models: usize,
        header: [Option<&'a [u8]>; 4],
        info: bool,
        data: Option<&'a [u8]>,
    }

    impl Default for Pack<'_> {
        fn default() -> Self {
            Pack {
                models: 1,
                header: [
                    Some(b"mlp"),
                    Some(b"NONE"),
                    Some(b"LITE_default"),
                    Some(b"NONE"),
                ],
                info: false,
                data: None,
            }
        }
    }

    fn packed(p: &Pack<'_>) -> Vec<u8> {
        let mut fb = Fb::new();
        let root = fb.table(&[true]);
        fb.patch(0, root[0] - 4);
        let (vector, models) = fb.offsets(p.models);
        fb.patch(root[0], vector);
        for slot in models {
            let entry = fb.table(&[true, p.info, p.data.is_some()]);
            fb.patch(slot, entry[0] - 4);
            let header = fb.table(&p.header.map(|s| s.is_some()));
            fb.patch(entry[0], header[0] - 4);
            for (i, s) in p.header.iter().enumerate() {
                if let Some(s) = s {
                    let pos = fb.string(s);
                    fb.patch(header[i], pos);
                }
            }
            if p.info {
                let info = fb.table(&[true]);
                fb.patch(entry[1], info[0] - 4);
                let pos = fb.bytes(b"{}");
                fb.patch(info[0], pos);
            }
            if let Some(data) = p.data {
                let d = fb.table(&[true]);
                fb.patch(entry[2], d[0] - 4);
                let pos = fb.bytes(data);
                fb.patch(d[0], pos);
            }
        }
        let mut out = PACKED_TAG.to_vec();
        out.extend(fb.buf);
        out
    }

    #[test]
    fn mge_check_packed_models() {
        let mlp = fixture("mlp.mge");
        let ok = packed(&Pack {
            data: Some(&mlp),
            ..Pack::default()
        });
        assert_eq!(check_mge(&ok), Ok(()));
        let with_info = packed(&Pack {
            data: Some(&mlp),
            info: true,
            ..Pack::default()
        });
        assert_eq!(check_mge(&with_info), Ok(()));

        // Unencrypted inner model: checked like a bare file.
        let mut corrupt = mlp.clone();
        corrupt[36426..=36508].fill(0);
        let err = check_mge(&packed(&Pack {
            data: Some(&corrupt),
            ..Pack::default()
        }))
        .unwrap_err();
        assert_eq!(
            err.message,
            "packed model data: operator #5 has no type string"
        );

        // Lite compares the method as a C string.
        let mut header = Pack::default().header;
        header[3] = Some(b"NONE\0trailing");
        let err = check_mge(&packed(&Pack {
            header,
            data: Some(&corrupt),
            ..Pack::default()
        }))
        .unwrap_err();
        assert_eq!(
            err.message,
            "packed model data: operator #5 has no type string"
        );

        // Encrypted inner model: not checked.
        let mut header = Pack::default().header;
        header[3] = Some(b"AES_default");
        assert_eq!(
            check_mge(&packed(&Pack {
                header,
                data: Some(&corrupt),
                ..Pack::default()
            })),
            Ok(())
        );

        for missing in 0..4 {
            let mut header = Pack::default().header;
            header[missing] = None;
            let err = check_mge(&packed(&Pack {
                header,
                data: Some(&mlp),
                ..Pack::default()
            }))
            .unwrap_err();
            assert!(
                err.message.starts_with("packed model header has no "),
                "{err}"
            );
        }
        let err = check_mge(&packed(&Pack::default())).unwrap_err();
        assert_eq!(err.message, "packed model has no model data");
        let err = check_mge(&packed(&Pack {
            data: Some(b""),
            ..Pack::default()
        }))
        .unwrap_err();
        assert_eq!(err.message, "packed model data is empty");
        let err = check_mge(&packed(&Pack {
            models: 2,
            data: Some(&mlp),
            ..Pack::default()
        }))
        .unwrap_err();
        assert!(err.message.contains("holds 2 models"), "{err}");

        // Truncations and mutations of the wrapper never panic.
        let small = packed(&Pack {
            data: Some(b"\x01\x02\x03"),
            ..Pack::default()
        });
        assert_eq!(check_mge(&small), Ok(()));
        for len in 0..small.len() {
            assert_one_line(&check_mge(&small[..len]));
        }
        let mut rng = Rng(7);
        for _ in 0..2000 {
            let mut b = small.clone();
            let p = PACKED_TAG.len() + rng.below(small.len() - PACKED_TAG.len());
            b[p] = rng.next_u64() as u8;
            assert_one_line(&check_mge(&b));
        }
    }

    #[test]
    fn mge_check_v1_container() {
        let mut m = b"MGBS\0\0\0\0".to_vec();
        m.extend(3u64.to_le_bytes());
        m.extend([1, 2, 3]);
        m.extend(12u32.to_le_bytes());
        m.extend(8u32.to_le_bytes());
        m.extend(b"mgb1");
        m.extend([0; 4]);
        assert_eq!(check_mge(&m), Ok(()));
        for len in 0..m.len() {
            assert!(check_mge(&m[..len]).is_err() || len < 4);
        }
        let mut bad = m.clone();
        bad[8] = 200;
        assert!(check_mge(&bad).is_err());
        let mut bad = m.clone();
        bad[27] = b'X';
        assert!(check_mge(&bad).unwrap_err().message.contains("mgb1"));
    }

    /// `cargo test -p lite --release --lib mge_check_timing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn mge_check_timing() {
        let b = fixture("shufflenet.mge");
        let rounds = 200;
        let start = std::time::Instant::now();
        for _ in 0..rounds {
            assert_eq!(check_mge(std::hint::black_box(&b)), Ok(()));
        }
        let per = start.elapsed() / rounds;
        println!(
            "check_mge(shufflenet.mge, {} bytes): {per:?} per check",
            b.len()
        );
    }
}
