//! A structural checker for MindIR files (MindSpore's protobuf model format, `mind_ir.proto`),
//! run before the engine sees the bytes.
//!
//! MindSpore Lite 2.0 trusts the tensors of a MindIR file: a parameter whose `dims` promise more
//! elements than its `raw_data` holds is copied and later read as if it were full, which ends in
//! reads past buffers or glibc heap corruption. [`check_mindir`] decodes the protobuf wire format
//! itself (no protobuf dependency, no `unsafe`, total on any input) and refuses such files with a
//! one-line [`MindirProblem`] naming the tensor or node.
//!
//! # Checked
//!
//! - The wire format of every message the checker walks: ModelProto, its `graph` and `functions`
//!   (GraphProto), nodes, value infos, attributes (recursively, with the graphs and tensors they
//!   hold), primitives, map parameters, tensors, external-data entries and quantization
//!   parameters. Truncated or over-long varints, lengths past the end of the enclosing message,
//!   groups, wire types 6 and 7, field numbers 0 or above 2^29 - 1, packed fixed-width fields whose
//!   length is not a multiple of the width, and messages nested 100 levels deep are errors.
//! - The data is a ModelProto: not empty, and it has a `graph`.
//! - Every tensor that stores data (`raw_data`, typed repeated fields such as `float_data`, or an
//!   `external_data` entry) has a known `data_type`, dims that are each in `0..=i32::MAX` and whose
//!   element and byte counts do not overflow, and exactly `product(dims) x element size` bytes of
//!   `raw_data` (or `product(dims)` values, two per element for complex types, in the typed
//!   fields). Its external-data entry has a non-negative offset and length that do not overflow
//!   when added, a length equal to the expected byte count, and a location that is a non-empty
//!   relative path without `..` components (the schema defines it as relative to the model's
//!   folder).
//! - Every node input, every graph output and every `REF::<name>` op type names something the
//!   model defines: a graph input, a parameter or map parameter, a node output (a `Constant`
//!   node's value included), a graph (main or function) or a primitive. The names live in one
//!   namespace shared by all graphs, as in the engine's loader (function graphs use the main
//!   graph's parameters). Names with the loader's built-in prefixes `MetaFuncGraph::` and
//!   `ClassType::` always resolve.
//!
//! # Not checked
//!
//! - External data files themselves (they cannot be opened from bytes): their existence, size,
//!   byte-order header and checksum, nor whether offset + length lies within them.
//! - Sizes of compressed tensors (`compression_type` set to a known compression): their stored
//!   byte count is by design unrelated to their dims. Sizes of `STRING` tensors' `raw_data` or
//!   external data (strings have no fixed element size; only their `string_data` count is checked).
//! - Dims of tensors without data: graph input and output shapes and abstract "shape" attributes
//!   legitimately hold `-1` (dynamic) and are left alone.
//! - Unresolved node inputs and graph outputs when the main graph has no parameters: models saved
//!   in two parts keep their weights in a separate `variables` folder, so their nodes name
//!   parameters the file does not hold. `REF::` op types are still checked then.
//! - Node order (the loader wants inputs defined before use), duplicate names, attribute values,
//!   op-specific shape rules, `mind_ir_version`, `little_endian`, and anything in fields the
//!   checker does not walk (preprocessor, parallel layouts, functors).
//!
//! # Schema facts relied on (field numbers of `mind_ir.proto`)
//!
//! - ModelProto: 7 graph, 8 functions, 12 primitives.
//! - GraphProto: 1 node, 2 name, 3 parameter (TensorProto), 5 input and 6 output (ValueInfoProto),
//!   8 attribute, 10 map_parameter.
//! - NodeProto: 1 input, 2 output, 3 name, 4 op_type, 5 attribute, 8 node_attr, 9 primal_attr.
//! - ValueInfoProto: 1 name, 2 tensor, 5 attr_info. PrimitiveProto: 1 name, 3 attribute.
//! - AttributeProto: 1 name, 6 t, 7 g, 12 tensors, 13 graphs, 17 values, 18 seq_info (whose field
//!   2 is an AttributeProto). MapTensorProto: 1 name, 2 default_value, 3 key, 4 value and 5 status
//!   tensors.
//! - TensorProto: 1 dims (int64), 2 data_type (int32), 3 float_data, 4 int32_data, 5 string_data,
//!   6 int64_data, 7 name, 9 raw_data, 10 double_data, 11 uint64_data, 12 external_data (1
//!   location, 2 offset, 3 length), 16 compression_type (0 none, 1..=6 compressed), 17
//!   quant_params (whose field 2 is an AttributeProto).
//! - data_type: 1 float32, 2 uint8, 3 int8, 4 uint16, 5 int16, 6 int32, 7 int64, 8 string, 9 bool,
//!   10 float16, 11 double, 12 uint32, 13 uint64, 14 complex64, 15 complex128, 16 bfloat16,
//!   17 float64.
//!
//! Fields with another wire type than the schema's are skipped, as protobuf itself keeps them as
//! unknown fields; a singular field given twice keeps its last value, and the main graph given
//! twice is merged, as protobuf does.

use std::collections::{HashMap, HashSet};
use std::fmt;

/// A structural problem found in a MindIR file; `message` is one line naming the tensor/node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MindirProblem {
    /// What is wrong, on one line, naming the tensor or node at fault.
    pub message: String,
}

impl MindirProblem {
    fn new(message: String) -> Self {
        Self { message }
    }
}

impl fmt::Display for MindirProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MindirProblem {}

/// Checks MindIR bytes; Ok(()) when nothing structural is wrong.
pub fn check_mindir(bytes: &[u8]) -> Result<(), MindirProblem> {
    if bytes.is_empty() {
        return Err(MindirProblem::new(
            "not a MindIR model: the data is empty".to_string(),
        ));
    }
    let mut model = Model::default();
    model.parse(bytes)?;
    model.check()
}

/// Messages nested this deep are refused. Protobuf's own default recursion limit is also 100, so
/// the engine's parser refuses such files as well.
const MAX_DEPTH: usize = 100;

/// The largest dimension of a tensor with data (MindSpore Lite keeps shapes as `int`).
const MAX_DIM: i64 = i32::MAX as i64;

/// `compression_type` values the schema defines (0 is none; others are unknown enum values,
/// which protobuf drops).
const LAST_COMPRESSION: i32 = 6;

/// Name prefixes the loader turns into values itself instead of looking them up.
const BUILT_IN_PREFIXES: [&[u8]; 2] = [b"MetaFuncGraph::", b"ClassType::"];

/// The op-type prefix of a node whose operator is another named thing of the model.
const REF_PREFIX: &[u8] = b"REF::";

/// AttributeProto's `type` field and its TENSORS value (AttributeProto.AttributeType).
const ATTRIBUTE_TYPE: u64 = 16;
const TYPE_TENSORS: u64 = 19;
/// The last AttributeType value of MindSpore 2.0's schema (SCALAR); 0 is UNDEFINED.
const MAX_ATTRIBUTE_TYPE: u64 = 39;

/// The op type whose bias must match its weight's output channels.
const CONV_OP: &[u8] = b"Conv2DFusion";

// ---------------------------------------------------------------------------------------------
// Wire format
// ---------------------------------------------------------------------------------------------

/// One field's value; fixed-width values are only counted, never read.
#[derive(Clone, Copy)]
enum Value<'a> {
    Varint(u64),
    Fixed64,
    Bytes(&'a [u8]),
    Fixed32,
}

struct Field<'a> {
    number: u64,
    value: Value<'a>,
    /// Absolute file offset of the value (of the payload, for length-delimited fields).
    at: usize,
}

/// The fields of one message, in order.
struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Absolute file offset of `buf`.
    base: usize,
    /// The message type, for error messages.
    message: &'static str,
}

impl<'a> Fields<'a> {
    fn new(buf: &'a [u8], base: usize, message: &'static str) -> Self {
        Self {
            buf,
            pos: 0,
            base,
            message,
        }
    }

    fn error(&self, what: &str, pos: usize) -> MindirProblem {
        wire_error(what, self.base.saturating_add(pos), self.message)
    }

    fn varint(&mut self) -> Result<u64, MindirProblem> {
        let start = self.pos;
        read_varint(self.buf, &mut self.pos).map_err(|what| self.error(what, start))
    }

    fn skip(&mut self, width: usize) -> Result<(), MindirProblem> {
        match self.pos.checked_add(width) {
            Some(end) if end <= self.buf.len() => {
                self.pos = end;
                Ok(())
            }
            _ => Err(self.error("truncated fixed-width value", self.pos)),
        }
    }

    fn next(&mut self) -> Result<Option<Field<'a>>, MindirProblem> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let tag_at = self.pos;
        let tag = self.varint()?;
        let number = tag >> 3;
        if number == 0 || tag > u64::from(u32::MAX) {
            return Err(self.error("invalid field number", tag_at));
        }
        let value_at = self.pos;
        let value = match tag & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.skip(8)?;
                Value::Fixed64
            }
            2 => {
                let length = self.varint()?;
                let start = self.pos;
                let body = usize::try_from(length)
                    .ok()
                    .and_then(|length| start.checked_add(length))
                    .and_then(|end| self.buf.get(start..end))
                    .ok_or_else(|| {
                        self.error("length past the end of the enclosing message", value_at)
                    })?;
                self.pos = start + body.len();
                return Ok(Some(Field {
                    number,
                    value: Value::Bytes(body),
                    at: self.base.saturating_add(start),
                }));
            }
            3 | 4 => return Err(self.error("group field (MindIR uses none)", tag_at)),
            5 => {
                self.skip(4)?;
                Value::Fixed32
            }
            other => return Err(self.error(&format!("unknown wire type {other}"), tag_at)),
        };
        Ok(Some(Field {
            number,
            value,
            at: self.base.saturating_add(value_at),
        }))
    }
}

fn wire_error(what: &str, at: usize, message: &str) -> MindirProblem {
    MindirProblem::new(format!(
        "not a valid MindIR protobuf: {what} at byte {at} (inside {message})"
    ))
}

/// Reads one varint at `*pos`, advancing it; at most 10 bytes, as protobuf allows.
fn read_varint(buf: &[u8], pos: &mut usize) -> Result<u64, &'static str> {
    let mut value = 0u64;
    for shift in (0..70).step_by(7) {
        let byte = *buf.get(*pos).ok_or("truncated varint")?;
        *pos += 1;
        // Bits past the 64th (only in a 10th byte) are dropped, as protobuf does.
        value |= u64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("varint longer than 10 bytes")
}

/// Calls `each` with every varint of a packed field.
fn packed_varints(
    body: &[u8],
    at: usize,
    message: &'static str,
    mut each: impl FnMut(u64),
) -> Result<(), MindirProblem> {
    let mut pos = 0;
    while pos < body.len() {
        let start = pos;
        let value = read_varint(body, &mut pos)
            .map_err(|what| wire_error(what, at.saturating_add(start), message))?;
        each(value);
    }
    Ok(())
}

/// The number of values in a packed fixed-width field.
fn packed_fixed(body: &[u8], width: usize, at: usize) -> Result<u64, MindirProblem> {
    if body.len() % width != 0 {
        return Err(wire_error(
            &format!(
                "packed field of {width}-byte values with a length of {}",
                body.len()
            ),
            at,
            "TensorProto",
        ));
    }
    Ok((body.len() / width) as u64)
}

fn enter(depth: usize, at: usize, message: &'static str) -> Result<(), MindirProblem> {
    if depth >= MAX_DEPTH {
        return Err(wire_error(
            &format!("messages nested {MAX_DEPTH} levels deep"),
            at,
            message,
        ));
    }
    Ok(())
}

/// The last `name` (field 1, length-delimited) of a message, if it decodes that far.
fn scan_name(buf: &[u8]) -> Option<&[u8]> {
    let mut fields = Fields::new(buf, 0, "");
    let mut name = None;
    while let Ok(Some(field)) = fields.next() {
        if let (1, Value::Bytes(body)) = (field.number, field.value) {
            name = Some(body);
        }
    }
    name
}

// ---------------------------------------------------------------------------------------------
// What the checker keeps of a model
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Main,
    Function,
    /// A graph held by an attribute.
    Nested,
}

struct Graph<'a> {
    role: Role,
    name: Option<&'a [u8]>,
    nodes: Vec<Node<'a>>,
    parameters: Vec<Option<&'a [u8]>>,
    inputs: Vec<Option<&'a [u8]>>,
    outputs: Vec<Option<&'a [u8]>>,
    map_parameters: Vec<Option<&'a [u8]>>,
}

#[derive(Default)]
struct Node<'a> {
    name: Option<&'a [u8]>,
    op_type: Option<&'a [u8]>,
    inputs: Vec<&'a [u8]>,
    outputs: Vec<&'a [u8]>,
}

#[derive(Default)]
struct Tensor<'a> {
    name: Option<&'a [u8]>,
    dims: Vec<i64>,
    data_type: Option<i32>,
    raw_data: Option<&'a [u8]>,
    /// Values in float_data, int32_data, int64_data, double_data and uint64_data.
    numeric_values: u64,
    string_values: u64,
    external: Option<External<'a>>,
    compression: i32,
}

#[derive(Default, Clone, Copy)]
struct External<'a> {
    location: Option<&'a [u8]>,
    offset: i64,
    length: i64,
}

/// Where a tensor sits, for messages.
#[derive(Clone, Copy)]
enum Place<'a> {
    Parameter {
        graph: usize,
    },
    Value {
        graph: usize,
        index: usize,
        output: bool,
    },
    NodeAttribute {
        graph: usize,
        node: usize,
        attribute: Option<&'a [u8]>,
    },
    GraphAttribute {
        graph: usize,
        attribute: Option<&'a [u8]>,
    },
    PrimitiveAttribute {
        primitive: usize,
        attribute: Option<&'a [u8]>,
    },
    MapParameter {
        graph: usize,
        index: usize,
    },
}

struct Located<'a> {
    tensor: Tensor<'a>,
    place: Place<'a>,
}

#[derive(Default)]
struct Model<'a> {
    graphs: Vec<Graph<'a>>,
    main: Option<usize>,
    primitives: Vec<Option<&'a [u8]>>,
    /// Each primitive's op type (PrimitiveProto field 2), same order as `primitives`.
    primitive_ops: Vec<Option<&'a [u8]>>,
    tensors: Vec<Located<'a>>,
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

impl<'a> Model<'a> {
    fn add_graph(&mut self, role: Role) -> usize {
        self.graphs.push(Graph {
            role,
            name: None,
            nodes: Vec::new(),
            parameters: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            map_parameters: Vec::new(),
        });
        self.graphs.len() - 1
    }

    fn parse(&mut self, bytes: &'a [u8]) -> Result<(), MindirProblem> {
        let mut fields = Fields::new(bytes, 0, "ModelProto");
        while let Some(field) = fields.next()? {
            let Value::Bytes(body) = field.value else {
                continue;
            };
            match field.number {
                7 => {
                    let graph = match self.main {
                        Some(graph) => graph,
                        None => {
                            let graph = self.add_graph(Role::Main);
                            self.main = Some(graph);
                            graph
                        }
                    };
                    self.parse_graph(graph, body, field.at, 1)?;
                }
                8 => {
                    let graph = self.add_graph(Role::Function);
                    self.parse_graph(graph, body, field.at, 1)?;
                }
                12 => self.parse_primitive(body, field.at, 1)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn parse_graph(
        &mut self,
        graph: usize,
        buf: &'a [u8],
        at: usize,
        depth: usize,
    ) -> Result<(), MindirProblem> {
        enter(depth, at, "GraphProto")?;
        let mut fields = Fields::new(buf, at, "GraphProto");
        while let Some(field) = fields.next()? {
            let Value::Bytes(body) = field.value else {
                continue;
            };
            match field.number {
                1 => {
                    let index = self.graphs[graph].nodes.len();
                    let node = self.parse_node(graph, index, body, field.at, depth + 1)?;
                    self.graphs[graph].nodes.push(node);
                }
                2 => self.graphs[graph].name = Some(body),
                3 => {
                    let place = Place::Parameter { graph };
                    let tensor = self.parse_tensor(body, field.at, depth + 1, place)?;
                    self.graphs[graph].parameters.push(tensor.name);
                    self.tensors.push(Located { tensor, place });
                }
                5 | 6 => {
                    let output = field.number == 6;
                    let values = if output {
                        &self.graphs[graph].outputs
                    } else {
                        &self.graphs[graph].inputs
                    };
                    let place = Place::Value {
                        graph,
                        index: values.len(),
                        output,
                    };
                    let name = self.parse_value_info(body, field.at, depth + 1, place)?;
                    let values = if output {
                        &mut self.graphs[graph].outputs
                    } else {
                        &mut self.graphs[graph].inputs
                    };
                    values.push(name);
                }
                8 => {
                    let place = Place::GraphAttribute {
                        graph,
                        attribute: scan_name(body),
                    };
                    self.parse_attribute(body, field.at, depth + 1, place)?;
                }
                10 => {
                    let place = Place::MapParameter {
                        graph,
                        index: self.graphs[graph].map_parameters.len(),
                    };
                    let name = self.parse_map_tensor(body, field.at, depth + 1, place)?;
                    self.graphs[graph].map_parameters.push(name);
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn parse_node(
        &mut self,
        graph: usize,
        index: usize,
        buf: &'a [u8],
        at: usize,
        depth: usize,
    ) -> Result<Node<'a>, MindirProblem> {
        enter(depth, at, "NodeProto")?;
        let mut node = Node::default();
        let mut fields = Fields::new(buf, at, "NodeProto");
        while let Some(field) = fields.next()? {
            let Value::Bytes(body) = field.value else {
                continue;
            };
            match field.number {
                1 => node.inputs.push(body),
                2 => node.outputs.push(body),
                3 => node.name = Some(body),
                4 => node.op_type = Some(body),
                5 | 8 | 9 => {
                    let place = Place::NodeAttribute {
                        graph,
                        node: index,
                        attribute: scan_name(body),
                    };
                    self.parse_attribute(body, field.at, depth + 1, place)?;
                }
                _ => {}
            }
        }
        Ok(node)
    }

    /// Returns the value's name.
    fn parse_value_info(
        &mut self,
        buf: &'a [u8],
        at: usize,
        depth: usize,
        place: Place<'a>,
    ) -> Result<Option<&'a [u8]>, MindirProblem> {
        enter(depth, at, "ValueInfoProto")?;
        let mut name = None;
        let mut fields = Fields::new(buf, at, "ValueInfoProto");
        while let Some(field) = fields.next()? {
            let Value::Bytes(body) = field.value else {
                continue;
            };
            match field.number {
                1 => name = Some(body),
                2 => {
                    let tensor = self.parse_tensor(body, field.at, depth + 1, place)?;
                    self.tensors.push(Located { tensor, place });
                }
                5 => self.parse_attribute(body, field.at, depth + 1, place)?,
                _ => {}
            }
        }
        Ok(name)
    }

    /// Returns the map parameter's name.
    fn parse_map_tensor(
        &mut self,
        buf: &'a [u8],
        at: usize,
        depth: usize,
        place: Place<'a>,
    ) -> Result<Option<&'a [u8]>, MindirProblem> {
        enter(depth, at, "MapTensorProto")?;
        let mut name = None;
        let mut fields = Fields::new(buf, at, "MapTensorProto");
        while let Some(field) = fields.next()? {
            let Value::Bytes(body) = field.value else {
                continue;
            };
            match field.number {
                1 => name = Some(body),
                2 => self.parse_attribute(body, field.at, depth + 1, place)?,
                3..=5 => {
                    let tensor = self.parse_tensor(body, field.at, depth + 1, place)?;
                    self.tensors.push(Located { tensor, place });
                }
                _ => {}
            }
        }
        Ok(name)
    }

    fn parse_primitive(
        &mut self,
        buf: &'a [u8],
        at: usize,
        depth: usize,
    ) -> Result<(), MindirProblem> {
        enter(depth, at, "PrimitiveProto")?;
        let primitive = self.primitives.len();
        let mut name = None;
        let mut op_type = None;
        let mut fields = Fields::new(buf, at, "PrimitiveProto");
        while let Some(field) = fields.next()? {
            let Value::Bytes(body) = field.value else {
                continue;
            };
            match field.number {
                1 => name = Some(body),
                2 => op_type = Some(body),
                3 => {
                    let place = Place::PrimitiveAttribute {
                        primitive,
                        attribute: scan_name(body),
                    };
                    self.parse_attribute(body, field.at, depth + 1, place)?;
                }
                _ => {}
            }
        }
        self.primitives.push(name);
        self.primitive_ops.push(op_type);
        Ok(())
    }

    fn parse_attribute(
        &mut self,
        buf: &'a [u8],
        at: usize,
        depth: usize,
        place: Place<'a>,
    ) -> Result<(), MindirProblem> {
        enter(depth, at, "AttributeProto")?;
        let mut declared = None;
        let mut tensors = 0usize;
        let mut fields = Fields::new(buf, at, "AttributeProto");
        while let Some(field) = fields.next()? {
            let body = match field.value {
                Value::Varint(v) if field.number == ATTRIBUTE_TYPE => {
                    declared = Some(v);
                    continue;
                }
                Value::Bytes(body) => body,
                _ => continue,
            };
            if field.number == 12 {
                tensors += 1;
            }
            match field.number {
                6 | 12 => {
                    let tensor = self.parse_tensor(body, field.at, depth + 1, place)?;
                    self.tensors.push(Located { tensor, place });
                }
                7 | 13 => {
                    let graph = self.add_graph(Role::Nested);
                    self.parse_graph(graph, body, field.at, depth + 1)?;
                }
                17 => self.parse_attribute(body, field.at, depth + 1, place)?,
                18 => self.parse_nested_attributes(body, field.at, depth + 1, place, 2)?,
                _ => {}
            }
        }
        // An attribute without a known type makes the loader fail through a protobuf reflection
        // CHECK that prints "[libprotobuf FATAL ...]" to stderr (an unknown enum value parses as
        // no value).
        if !declared.is_some_and(|t| (1..=MAX_ATTRIBUTE_TYPE).contains(&t)) {
            return Err(MindirProblem::new(format!(
                "an attribute has {} ({})",
                declared.map_or_else(
                    || "no type".to_string(),
                    |t| format!("the unknown type {t}")
                ),
                self.place_text(place)
            )));
        }
        // The loader reads the first tensor of a TENSORS attribute without a size check.
        if declared == Some(TYPE_TENSORS) && tensors == 0 {
            return Err(MindirProblem::new(format!(
                "an attribute of type TENSORS holds no tensor ({})",
                self.place_text(place)
            )));
        }
        Ok(())
    }

    /// A message whose field `attribute_field` holds AttributeProtos (sequence info, quantization
    /// parameters).
    fn parse_nested_attributes(
        &mut self,
        buf: &'a [u8],
        at: usize,
        depth: usize,
        place: Place<'a>,
        attribute_field: u64,
    ) -> Result<(), MindirProblem> {
        enter(depth, at, "AttributeProto")?;
        let mut fields = Fields::new(buf, at, "AttributeProto");
        while let Some(field) = fields.next()? {
            if let (number, Value::Bytes(body)) = (field.number, field.value) {
                if number == attribute_field {
                    self.parse_attribute(body, field.at, depth + 1, place)?;
                }
            }
        }
        Ok(())
    }

    fn parse_tensor(
        &mut self,
        buf: &'a [u8],
        at: usize,
        depth: usize,
        place: Place<'a>,
    ) -> Result<Tensor<'a>, MindirProblem> {
        const MESSAGE: &str = "TensorProto";
        enter(depth, at, MESSAGE)?;
        let mut tensor = Tensor::default();
        let mut fields = Fields::new(buf, at, MESSAGE);
        while let Some(field) = fields.next()? {
            match (field.number, field.value) {
                // int64 dims: two's complement in the varint.
                (1, Value::Varint(v)) => tensor.dims.push(v as i64),
                (1, Value::Bytes(body)) => {
                    packed_varints(body, field.at, MESSAGE, |v| tensor.dims.push(v as i64))?
                }
                // int32: protobuf keeps the low 32 bits of the varint.
                (2, Value::Varint(v)) => tensor.data_type = Some(v as u32 as i32),
                (3, Value::Fixed32) | (4 | 6 | 11, Value::Varint(_)) | (10, Value::Fixed64) => {
                    tensor.numeric_values = tensor.numeric_values.saturating_add(1)
                }
                (3, Value::Bytes(body)) => {
                    let count = packed_fixed(body, 4, field.at)?;
                    tensor.numeric_values = tensor.numeric_values.saturating_add(count);
                }
                (10, Value::Bytes(body)) => {
                    let count = packed_fixed(body, 8, field.at)?;
                    tensor.numeric_values = tensor.numeric_values.saturating_add(count);
                }
                (4 | 6 | 11, Value::Bytes(body)) => {
                    let mut count = 0u64;
                    packed_varints(body, field.at, MESSAGE, |_| count += 1)?;
                    tensor.numeric_values = tensor.numeric_values.saturating_add(count);
                }
                (5, Value::Bytes(_)) => {
                    tensor.string_values = tensor.string_values.saturating_add(1)
                }
                (7, Value::Bytes(body)) => tensor.name = Some(body),
                (9, Value::Bytes(body)) => tensor.raw_data = Some(body),
                (12, Value::Bytes(body)) => {
                    // A message field given twice is merged.
                    let mut external = tensor.external.unwrap_or_default();
                    parse_external(&mut external, body, field.at, depth + 1)?;
                    tensor.external = Some(external);
                }
                (16, Value::Varint(v)) => {
                    let kind = v as u32 as i32;
                    if (0..=LAST_COMPRESSION).contains(&kind) {
                        tensor.compression = kind;
                    }
                }
                (17, Value::Bytes(body)) => {
                    self.parse_nested_attributes(body, field.at, depth + 1, place, 2)?
                }
                _ => {}
            }
        }
        Ok(tensor)
    }
}

fn parse_external<'a>(
    external: &mut External<'a>,
    buf: &'a [u8],
    at: usize,
    depth: usize,
) -> Result<(), MindirProblem> {
    enter(depth, at, "ExternalDataProto")?;
    let mut fields = Fields::new(buf, at, "ExternalDataProto");
    while let Some(field) = fields.next()? {
        match (field.number, field.value) {
            (1, Value::Bytes(body)) => external.location = Some(body),
            (2, Value::Varint(v)) => external.offset = v as i64,
            (3, Value::Varint(v)) => external.length = v as i64,
            _ => {}
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/// An element type: its name, its size in bytes (None for strings) and its typed-field values
/// per element.
struct Kind {
    name: &'static str,
    size: Option<u64>,
    values: u64,
}

fn element_kind(data_type: i32) -> Option<Kind> {
    let (name, size, values) = match data_type {
        1 => ("float32", Some(4), 1),
        2 => ("uint8", Some(1), 1),
        3 => ("int8", Some(1), 1),
        4 => ("uint16", Some(2), 1),
        5 => ("int16", Some(2), 1),
        6 => ("int32", Some(4), 1),
        7 => ("int64", Some(8), 1),
        8 => ("string", None, 1),
        9 => ("bool", Some(1), 1),
        10 => ("float16", Some(2), 1),
        11 | 17 => ("float64", Some(8), 1),
        12 => ("uint32", Some(4), 1),
        13 => ("uint64", Some(8), 1),
        14 => ("complex64", Some(8), 2),
        15 => ("complex128", Some(16), 2),
        16 => ("bfloat16", Some(2), 1),
        _ => return None,
    };
    Some(Kind { name, size, values })
}

/// Checks one tensor's stored data against its declared type and dims; the error is the
/// sentence's predicate ("declares dims ... but stores ...").
fn check_tensor(tensor: &Tensor<'_>) -> Result<(), String> {
    let has_data = tensor.raw_data.is_some()
        || tensor.external.is_some()
        || tensor.numeric_values > 0
        || tensor.string_values > 0;
    if !has_data {
        // A declared but unknown element type makes the loader fail through a protobuf CHECK
        // that prints to stderr.
        return match tensor.data_type {
            Some(t) if element_kind(t).is_none() => Err(format!(
                "declares dims {} with the unknown data_type {t}",
                dims_text(&tensor.dims)
            )),
            _ => Ok(()),
        };
    }
    let dims = dims_text(&tensor.dims);
    let Some(data_type) = tensor.data_type else {
        return Err(format!(
            "declares dims {dims} and holds data but has no data_type"
        ));
    };
    let Some(kind) = element_kind(data_type) else {
        return Err(format!(
            "declares dims {dims} and holds data but has unknown data_type {data_type}"
        ));
    };
    if let Some(&dim) = tensor.dims.iter().find(|&&dim| dim < 0) {
        return Err(format!(
            "holds data but declares dims {dims} with negative dimension {dim}"
        ));
    }
    if let Some(&dim) = tensor.dims.iter().find(|&&dim| dim > MAX_DIM) {
        return Err(format!(
            "declares dims {dims} with dimension {dim}, above the limit {MAX_DIM}"
        ));
    }
    let Some(elements) = tensor.dims.iter().try_fold(1u64, |count, &dim| {
        count.checked_mul(u64::try_from(dim).ok()?)
    }) else {
        return Err(format!(
            "declares dims {dims} ({}) whose element count overflows",
            kind.name
        ));
    };
    let Some(size) = kind.size else {
        // Strings have no fixed size; only their count in string_data can be checked.
        if tensor.string_values > 0 && tensor.string_values != elements {
            return Err(format!(
                "declares dims {dims} (string, {elements} elements) but stores {} strings",
                tensor.string_values
            ));
        }
        return Ok(());
    };
    let Some(bytes) = elements.checked_mul(size) else {
        return Err(format!(
            "declares dims {dims} ({}) whose byte size overflows",
            kind.name
        ));
    };
    // Compressed data is sized by its compression, not by its dims.
    let compressed = tensor.compression != 0;
    if let Some(raw) = tensor.raw_data {
        if !compressed && raw.len() as u64 != bytes {
            return Err(format!(
                "declares dims {dims} ({}, {bytes} bytes) but stores {} bytes",
                kind.name,
                raw.len()
            ));
        }
    }
    if tensor.numeric_values > 0 && !compressed {
        let expected = elements.saturating_mul(kind.values);
        if tensor.numeric_values != expected {
            return Err(format!(
                "declares dims {dims} ({}, {expected} values) but stores {} values in its typed data fields",
                kind.name, tensor.numeric_values
            ));
        }
    }
    if let Some(external) = tensor.external {
        check_external(&external, (!compressed).then_some(bytes), &dims, kind.name)?;
    }
    Ok(())
}

fn check_external(
    external: &External<'_>,
    expected: Option<u64>,
    dims: &str,
    kind: &str,
) -> Result<(), String> {
    let (offset, length) = (external.offset, external.length);
    if offset < 0 || length < 0 {
        return Err(format!(
            "has an external data entry with offset {offset} and length {length} (negative)"
        ));
    }
    if offset.checked_add(length).is_none() {
        return Err(format!(
            "has an external data entry whose offset {offset} + length {length} overflows"
        ));
    }
    let location = external.location.unwrap_or_default();
    if location.is_empty() {
        return Err("has an external data entry without a location".to_string());
    }
    if !is_relative_inside(location) {
        return Err(format!(
            "has an external data entry at {}, which is not a relative path inside the model's folder",
            quote(location)
        ));
    }
    if let Some(bytes) = expected {
        if length as u64 != bytes {
            return Err(format!(
                "declares dims {dims} ({kind}, {bytes} bytes) but its external data entry has length {length}"
            ));
        }
    }
    Ok(())
}

/// Whether an external-data location is relative and stays below the model's folder.
fn is_relative_inside(location: &[u8]) -> bool {
    let rooted = matches!(location.first(), Some(b'/' | b'\\'));
    let drive = location.len() >= 2 && location[0].is_ascii_alphabetic() && location[1] == b':';
    let climbs = location
        .split(|&byte| byte == b'/' || byte == b'\\')
        .any(|part| part == b"..");
    !rooted && !drive && !climbs
}

/// Dims as `[16, 6, 5, 5]`, at most 8 of them.
fn dims_text(dims: &[i64]) -> String {
    const SHOWN: usize = 8;
    let mut text = String::from("[");
    for (i, dim) in dims.iter().take(SHOWN).enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(&dim.to_string());
    }
    if dims.len() > SHOWN {
        text.push_str(&format!(", ... ({} dims)", dims.len()));
    }
    text.push(']');
    text
}

/// A name, quoted and escaped so that it stays on one line, cut after 120 characters.
fn quote(name: &[u8]) -> String {
    const LIMIT: usize = 120;
    let text = String::from_utf8_lossy(name);
    if text.chars().count() > LIMIT {
        let cut: String = text.chars().take(LIMIT).collect();
        format!("{:?}...", cut)
    } else {
        format!("{:?}", text)
    }
}

impl<'a> Model<'a> {
    fn check(&self) -> Result<(), MindirProblem> {
        let Some(main) = self.main else {
            return Err(MindirProblem::new(
                "not a MindIR model: it has no graph (ModelProto field 7)".to_string(),
            ));
        };
        for located in &self.tensors {
            if let Err(predicate) = check_tensor(&located.tensor) {
                let subject = match located.tensor.name {
                    Some(name) => format!("tensor {}", quote(name)),
                    None => "unnamed tensor".to_string(),
                };
                return Err(MindirProblem::new(format!(
                    "{subject} {predicate} ({})",
                    self.describe(located)
                )));
            }
        }
        self.check_references(main)?;
        self.check_inputs_used(main)?;
        self.check_conv_bias(main)
    }

    /// The text of a place, for messages about something other than a tensor.
    fn place_text(&self, place: Place<'_>) -> String {
        self.describe(&Located {
            tensor: Tensor::default(),
            place,
        })
    }

    /// Every input of a single-graph model feeds a node its outputs depend on. The engine's
    /// build crashes (in its format pass) on a 4-D input that nothing reads. Models with
    /// function or attribute graphs are left alone: those graphs may read the input.
    fn check_inputs_used(&self, main: usize) -> Result<(), MindirProblem> {
        if self.graphs.len() != 1 {
            return Ok(());
        }
        let Some(graph) = self.graphs.get(main) else {
            return Ok(());
        };
        if graph.nodes.is_empty() || graph.outputs.is_empty() {
            return Ok(());
        }
        let mut producer: HashMap<&[u8], usize> = HashMap::new();
        for (n, node) in graph.nodes.iter().enumerate() {
            for &output in &node.outputs {
                producer.insert(output, n);
            }
        }
        let mut reached: HashSet<&[u8]> = HashSet::new();
        let mut seen = vec![false; graph.nodes.len()];
        let mut todo: Vec<&[u8]> = graph.outputs.iter().flatten().copied().collect();
        while let Some(name) = todo.pop() {
            if !reached.insert(name) {
                continue;
            }
            if let Some(&n) = producer.get(name) {
                if !seen[n] {
                    seen[n] = true;
                    todo.extend(graph.nodes[n].inputs.iter().copied());
                }
            }
        }
        for input in graph.inputs.iter().flatten() {
            if !reached.contains(input) {
                return Err(MindirProblem::new(format!(
                    "input {} of {} feeds no node that the graph's outputs depend on",
                    quote(input),
                    self.graph_label(main)
                )));
            }
        }
        Ok(())
    }

    /// A convolution's bias holds one value per output channel (its weight's first dim). The
    /// engine's weight transform writes past its buffers otherwise.
    fn check_conv_bias(&self, main: usize) -> Result<(), MindirProblem> {
        let Some(graph) = self.graphs.get(main) else {
            return Ok(());
        };
        let mut parameters: HashMap<&[u8], &Tensor<'_>> = HashMap::new();
        for located in &self.tensors {
            if let (Place::Parameter { graph: g }, Some(name)) =
                (located.place, located.tensor.name)
            {
                if g == main {
                    parameters.insert(name, &located.tensor);
                }
            }
        }
        let conv_ops: HashSet<&[u8]> = self
            .primitives
            .iter()
            .zip(&self.primitive_ops)
            .filter_map(|(name, op)| match (name, op) {
                (Some(name), Some(op)) if *op == CONV_OP => Some(*name),
                _ => None,
            })
            .collect();
        for (n, node) in graph.nodes.iter().enumerate() {
            let Some(target) = node.op_type.and_then(|op| op.strip_prefix(REF_PREFIX)) else {
                continue;
            };
            if !conv_ops.contains(target) || node.inputs.len() < 3 {
                continue;
            }
            let (Some(weight), Some(bias)) = (
                parameters.get(node.inputs[1]),
                parameters.get(node.inputs[2]),
            ) else {
                continue;
            };
            let Some(&channels) = weight.dims.first() else {
                continue;
            };
            let values = bias.dims.iter().try_fold(1i64, |a, &d| a.checked_mul(d));
            if values != Some(channels) {
                return Err(MindirProblem::new(format!(
                    "the bias {} of {} has dims {} but its weight {} has {} output channels (dims {})",
                    quote(node.inputs[2]),
                    self.node_label(main, n),
                    dims_text(&bias.dims),
                    quote(node.inputs[1]),
                    channels,
                    dims_text(&weight.dims)
                )));
            }
        }
        Ok(())
    }

    fn check_references(&self, main: usize) -> Result<(), MindirProblem> {
        let mut primitives: HashSet<&[u8]> = HashSet::new();
        for name in self.primitives.iter().flatten() {
            if !primitives.insert(name) {
                return Err(MindirProblem::new(format!(
                    "the primitive name {} appears twice",
                    quote(name)
                )));
            }
        }
        let mut known: HashSet<&[u8]> = HashSet::new();
        known.extend(self.primitives.iter().flatten().copied());
        for graph in &self.graphs {
            known.extend(graph.name);
            known.extend(graph.parameters.iter().flatten().copied());
            known.extend(graph.inputs.iter().flatten().copied());
            known.extend(graph.map_parameters.iter().flatten().copied());
            for node in &graph.nodes {
                known.extend(node.outputs.iter().copied());
            }
        }
        let resolves = |name: &[u8]| {
            known.contains(name) || BUILT_IN_PREFIXES.iter().any(|p| name.starts_with(p))
        };
        // A main graph without parameters may have its weights in a separate variables folder,
        // which its node inputs then name.
        let weights_elsewhere = self.graphs.get(main).map_or(true, |graph| {
            graph.parameters.is_empty() && graph.map_parameters.is_empty()
        });

        for (g, graph) in self.graphs.iter().enumerate() {
            for (n, node) in graph.nodes.iter().enumerate() {
                if let Some(target) = node.op_type.and_then(|op| op.strip_prefix(REF_PREFIX)) {
                    if !target.is_empty() && !resolves(target) {
                        return Err(MindirProblem::new(format!(
                            "{} in {} refers to {}, which is no primitive, graph or node of the model",
                            self.node_label(g, n),
                            self.graph_label(g),
                            quote(target)
                        )));
                    }
                }
                if weights_elsewhere {
                    continue;
                }
                for (i, input) in node.inputs.iter().enumerate() {
                    if !resolves(input) {
                        return Err(MindirProblem::new(format!(
                            "{} in {} has input {i} {}, which names no graph input, parameter, node output, graph or primitive of the model",
                            self.node_label(g, n),
                            self.graph_label(g),
                            quote(input)
                        )));
                    }
                }
            }
            if weights_elsewhere {
                continue;
            }
            for output in graph.outputs.iter().flatten() {
                if !resolves(output) {
                    return Err(MindirProblem::new(format!(
                        "{} has output {}, which names no node output, graph input, parameter, graph or primitive of the model",
                        self.graph_label(g),
                        quote(output)
                    )));
                }
            }
        }
        Ok(())
    }

    fn describe(&self, located: &Located<'_>) -> String {
        match located.place {
            Place::Parameter { graph } => {
                let mut text = format!("parameter of {}", self.graph_label(graph));
                if let Some((g, n, i)) = located.tensor.name.and_then(|name| self.first_use(name)) {
                    text.push_str(&format!(", input {i} of {}", self.node_label(g, n)));
                    if g != graph {
                        text.push_str(&format!(" in {}", self.graph_label(g)));
                    }
                }
                text
            }
            Place::Value {
                graph,
                index,
                output,
            } => {
                let values =
                    self.graphs
                        .get(graph)
                        .map(|g| if output { &g.outputs } else { &g.inputs });
                let name = values.and_then(|values| values.get(index).copied().flatten());
                format!(
                    "{} {} of {}",
                    if output { "output" } else { "input" },
                    name.map_or_else(|| format!("#{index}"), quote),
                    self.graph_label(graph)
                )
            }
            Place::NodeAttribute {
                graph,
                node,
                attribute,
            } => format!(
                "attribute {} of {} in {}",
                attribute_label(attribute),
                self.node_label(graph, node),
                self.graph_label(graph)
            ),
            Place::GraphAttribute { graph, attribute } => format!(
                "attribute {} of {}",
                attribute_label(attribute),
                self.graph_label(graph)
            ),
            Place::PrimitiveAttribute {
                primitive,
                attribute,
            } => {
                let name = self.primitives.get(primitive).copied().flatten();
                format!(
                    "attribute {} of primitive {}",
                    attribute_label(attribute),
                    name.map_or_else(|| format!("#{primitive}"), quote)
                )
            }
            Place::MapParameter { graph, index } => {
                let name = self
                    .graphs
                    .get(graph)
                    .and_then(|g| g.map_parameters.get(index).copied().flatten());
                format!(
                    "map parameter {} of {}",
                    name.map_or_else(|| format!("#{index}"), quote),
                    self.graph_label(graph)
                )
            }
        }
    }

    /// The first node input naming `name`: (graph, node, input index).
    fn first_use(&self, name: &[u8]) -> Option<(usize, usize, usize)> {
        self.graphs.iter().enumerate().find_map(|(g, graph)| {
            graph.nodes.iter().enumerate().find_map(|(n, node)| {
                let i = node.inputs.iter().position(|&input| input == name)?;
                Some((g, n, i))
            })
        })
    }

    fn graph_label(&self, graph: usize) -> String {
        let Some(found) = self.graphs.get(graph) else {
            return "an unknown graph".to_string();
        };
        let role = match found.role {
            Role::Main => "graph",
            Role::Function => "function graph",
            Role::Nested => "attribute graph",
        };
        match found.name {
            Some(name) => format!("{role} {}", quote(name)),
            None => format!("unnamed {role}"),
        }
    }

    fn node_label(&self, graph: usize, node: usize) -> String {
        let found = self.graphs.get(graph).and_then(|g| g.nodes.get(node));
        let mut text = match found.and_then(|found| found.name) {
            Some(name) => format!("node {}", quote(name)),
            None => format!("node #{node}"),
        };
        if let Some(op) = found.and_then(|found| found.op_type) {
            text.push_str(&format!(" (op {})", quote(op)));
        }
        text
    }
}

fn attribute_label(attribute: Option<&[u8]>) -> String {
    attribute.map_or_else(|| "(unnamed)".to_string(), quote)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn fixture(name: &str) -> Vec<u8> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/mindspore")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
    }

    const FIXTURES: [&str; 3] = ["lenet.mindir", "shufflenet.mindir", "two_io.mindir"];

    /// The problem's message, asserting it is one line.
    fn problem(bytes: &[u8]) -> String {
        match check_mindir(bytes) {
            Ok(()) => panic!("accepted, but a problem was expected"),
            Err(problem) => {
                assert!(!problem.message.contains('\n'), "{}", problem.message);
                assert_eq!(problem.to_string(), problem.message);
                problem.message
            }
        }
    }

    // A deterministic xorshift64* generator.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    // --- A small protobuf writer for hand-made models ------------------------------------------

    fn varint(mut value: u64, out: &mut Vec<u8>) {
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    fn varint_field(number: u64, value: u64) -> Vec<u8> {
        let mut out = Vec::new();
        varint(number << 3, &mut out);
        varint(value, &mut out);
        out
    }

    fn bytes_field(number: u64, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        varint((number << 3) | 2, &mut out);
        varint(body.len() as u64, &mut out);
        out.extend_from_slice(body);
        out
    }

    fn tensor(name: &str, dims: &[i64], data_type: u64, extra: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        for &dim in dims {
            out.extend(varint_field(1, dim as u64));
        }
        out.extend(varint_field(2, data_type));
        if !name.is_empty() {
            out.extend(bytes_field(7, name.as_bytes()));
        }
        for part in extra {
            out.extend_from_slice(part);
        }
        out
    }

    fn raw(len: usize) -> Vec<u8> {
        bytes_field(9, &vec![0u8; len])
    }

    fn node(inputs: &[&str], output: &str, op_type: &str, attributes: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        for input in inputs {
            out.extend(bytes_field(1, input.as_bytes()));
        }
        out.extend(bytes_field(2, output.as_bytes()));
        out.extend(bytes_field(3, output.as_bytes()));
        out.extend(bytes_field(4, op_type.as_bytes()));
        for attribute in attributes {
            out.extend(bytes_field(5, attribute));
        }
        out
    }

    fn value_info(name: &str) -> Vec<u8> {
        let shape = tensor("x", &[-1, 4], 1, &[]);
        [bytes_field(1, name.as_bytes()), bytes_field(2, &shape)].concat()
    }

    fn graph(name: &str, nodes: &[Vec<u8>], parameters: &[Vec<u8>], output: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for node in nodes {
            out.extend(bytes_field(1, node));
        }
        out.extend(bytes_field(2, name.as_bytes()));
        for parameter in parameters {
            out.extend(bytes_field(3, parameter));
        }
        out.extend(bytes_field(5, &value_info(&format!("{name}:x"))));
        out.extend(bytes_field(6, &bytes_field(1, output.as_bytes())));
        out
    }

    fn model(main: &[u8], functions: &[Vec<u8>], primitives: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(bytes_field(2, b"MindSpore"));
        out.extend(bytes_field(5, b"2.0.0"));
        out.extend(bytes_field(7, main));
        for function in functions {
            out.extend(bytes_field(8, function));
        }
        for primitive in primitives {
            let op_type = primitive.split(':').next().unwrap_or_default();
            let body = [
                bytes_field(1, primitive.as_bytes()),
                bytes_field(2, op_type.as_bytes()),
            ]
            .concat();
            out.extend(bytes_field(12, &body));
        }
        out
    }

    /// y = Add(x, w) with `w` the given parameter tensor (named "g:w" by the callers).
    fn with_parameter(parameter: Vec<u8>) -> Vec<u8> {
        let add = node(&["g:x", "g:w"], "g:y", "REF::Add:1", &[]);
        model(&graph("g", &[add], &[parameter], "g:y"), &[], &["Add:1"])
    }

    fn float_parameter(dims: &[i64], extra: &[Vec<u8>]) -> Vec<u8> {
        with_parameter(tensor("g:w", dims, 1, extra))
    }

    // --- Fixtures and their mutants -------------------------------------------------------------

    #[test]
    fn accepts_every_fixture() {
        for name in FIXTURES {
            assert_eq!(check_mindir(&fixture(name)), Ok(()), "{name}");
        }
    }

    // --- Rules found by the in-process MindIR fuzzer (tools/fuzz/mindir.mjs) -----------------

    #[test]
    fn lenet_conv_bias_rewired_to_another_parameter_is_refused() {
        // conv2's bias input renamed from U0.1:U4 ([16]) to U0.1:U7 ([120, 84]): every tensor is
        // consistent, and the engine's Winograd weight transform corrupts the heap in predict.
        let mut bytes = fixture("lenet.mindir");
        assert_eq!(bytes[377], b'4', "the fixture changed");
        bytes[377] = b'7';
        let message = problem(&bytes);
        assert!(
            message.contains(r#"the bias "U0.1:U7""#) && message.contains("has 16 output channels"),
            "{message}"
        );
    }

    #[test]
    fn lenet_input_that_nothing_reads_is_refused() {
        // conv1 reads a parameter instead of the graph input x: the engine's format pass
        // crashes on the unread 4-D input during build.
        let mut bytes = fixture("lenet.mindir");
        assert_eq!(bytes[40], b'2', "the fixture changed");
        bytes[40] = b'0';
        let message = problem(&bytes);
        assert!(
            message.starts_with(r#"input "U0.1:U12" of graph "U0.1""#)
                && message.contains("feeds no node that the graph's outputs depend on"),
            "{message}"
        );
    }

    #[test]
    fn primitive_attribute_without_a_known_type_is_refused() {
        // The loader fails on these through a protobuf CHECK that prints to stderr.
        for (ty, expected) in [
            (None, "an attribute has no type"),
            (
                Some(2_147_483_647),
                "an attribute has the unknown type 2147483647",
            ),
        ] {
            let mut attribute = bytes_field(1, b"format");
            if let Some(t) = ty {
                attribute.extend(varint_field(16, t));
            }
            let primitive = [bytes_field(1, b"Add:1"), bytes_field(3, &attribute)].concat();
            let mut bytes = with_parameter(tensor("g:w", &[1], 1, &[raw(4)]));
            bytes.extend(bytes_field(12, &primitive));
            let message = problem(&bytes);
            assert!(
                message.starts_with(expected)
                    && message.contains(r#"(attribute "format" of primitive"#),
                "{message}"
            );
        }
    }

    #[test]
    fn tensors_attribute_without_a_tensor_is_refused() {
        // AttributeProto { name: "shape", type: TENSORS (19) } with no field 12: the loader
        // reads tensors(0) anyway.
        let attribute = [bytes_field(1, b"shape"), varint_field(16, 19)].concat();
        let add = node(&["g:x", "g:w"], "g:y", "REF::Add:1", &[attribute]);
        let bytes = model(
            &graph("g", &[add], &[tensor("g:w", &[4], 1, &[raw(16)])], "g:y"),
            &[],
            &["Add:1"],
        );
        let message = problem(&bytes);
        assert!(
            message.starts_with(
                r#"an attribute of type TENSORS holds no tensor (attribute "shape" of node"#
            ),
            "{message}"
        );
        // With its tensor it is fine.
        let attribute = [
            bytes_field(1, b"shape"),
            varint_field(16, 19),
            bytes_field(12, &tensor("s", &[1], 7, &[raw(8)])),
        ]
        .concat();
        let add = node(&["g:x", "g:w"], "g:y", "REF::Add:1", &[attribute]);
        let bytes = model(
            &graph("g", &[add], &[tensor("g:w", &[4], 1, &[raw(16)])], "g:y"),
            &[],
            &["Add:1"],
        );
        assert_eq!(check_mindir(&bytes), Ok(()));
    }

    #[test]
    fn lenet_conv1_bias_claiming_12_elements_is_refused() {
        let mut bytes = fixture("lenet.mindir");
        assert_eq!(
            bytes[2522], 6,
            "the fixture changed: byte 2522 is no longer conv1's bias dim"
        );
        bytes[2522] = 12;
        let message = problem(&bytes);
        assert!(
            message.starts_with(
                r#"tensor "U0.1:U2" declares dims [12] (float32, 48 bytes) but stores 24 bytes"#
            ),
            "{message}"
        );
        // The tensor is named with its first use: the third input of the first convolution.
        assert!(
            message.contains(r#"input 2 of node "U0.1:U14:1" (op "REF::Conv2DFusion:2")"#),
            "{message}"
        );
    }

    #[test]
    fn lenet_conv2_weight_with_doubled_dims_is_refused() {
        let mut bytes = fixture("lenet.mindir");
        // conv2's weight: dims 16, 6, 5, 5 as unpacked varints (field 1).
        let dims = [0x08, 16, 0x08, 6, 0x08, 5, 0x08, 5];
        let at = bytes
            .windows(dims.len())
            .position(|window| window == dims)
            .expect("conv2's weight dims in lenet.mindir");
        bytes[at + 1] = 32;
        let message = problem(&bytes);
        assert!(
            message.starts_with(
                r#"tensor "U0.1:U3" declares dims [32, 6, 5, 5] (float32, 19200 bytes) but stores 9600 bytes"#
            ),
            "{message}"
        );
    }

    #[test]
    fn shufflenet_weight_with_doubled_first_dim_is_refused() {
        let bytes = fixture("shufflenet.mindir");
        let mut model = Model::default();
        model.parse(&bytes).expect("shufflenet parses");
        // The first 4-d parameter whose first dim stays a one-byte varint when doubled.
        let weight = model
            .tensors
            .iter()
            .filter(|located| matches!(located.place, Place::Parameter { .. }))
            .map(|located| &located.tensor)
            .find(|t| t.dims.len() == 4 && t.dims[0] > 0 && t.dims[0] < 64)
            .expect("a 4-d weight");
        let name = weight.name.expect("a named weight");
        // Its dims, data_type and name, in the order the exporter writes them.
        let mut pattern = Vec::new();
        for &dim in &weight.dims {
            pattern.extend(varint_field(1, dim as u64));
        }
        pattern.extend(varint_field(
            2,
            weight.data_type.expect("a data_type") as u64,
        ));
        pattern.extend(bytes_field(7, name));
        let at = bytes
            .windows(pattern.len())
            .position(|window| window == pattern)
            .expect("the weight's dims");
        let first = weight.dims[0];
        let mut mutant = bytes.clone();
        mutant[at + 1] = (first * 2) as u8;
        let message = problem(&mutant);
        let expected = format!("tensor {} declares dims [{}, ", quote(name), first * 2);
        assert!(message.starts_with(&expected), "{message}");
    }

    #[test]
    fn truncated_files_never_panic_and_are_mostly_refused() {
        let mut refused = 0;
        let mut total = 0;
        for (name, step) in [
            ("lenet.mindir", 97),
            ("two_io.mindir", 1),
            ("shufflenet.mindir", 997),
        ] {
            let bytes = fixture(name);
            for len in (0..bytes.len()).step_by(step) {
                total += 1;
                if check_mindir(&bytes[..len]).is_err() {
                    refused += 1;
                }
            }
        }
        // A prefix ending exactly between two top-level fields can be a whole model: only a few.
        assert!(
            refused * 100 >= total * 99,
            "{refused} of {total} prefixes refused"
        );
    }

    /// Byte offsets of lenet's raw_data payloads (the weights), as ranges.
    fn weight_ranges(bytes: &[u8]) -> Vec<(usize, usize)> {
        let mut model = Model::default();
        model.parse(bytes).expect("lenet parses");
        let base = bytes.as_ptr() as usize;
        model
            .tensors
            .iter()
            .filter_map(|located| located.tensor.raw_data)
            .map(|raw| {
                let start = raw.as_ptr() as usize - base;
                (start, start + raw.len())
            })
            .collect()
    }

    #[test]
    fn random_byte_changes_never_panic() {
        let original = fixture("lenet.mindir");
        let weights = weight_ranges(&original);
        let in_weights = |at: usize| {
            weights
                .iter()
                .any(|&(start, end)| (start..end).contains(&at))
        };
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut bytes = original.clone();

        // 2,000 mutants anywhere (most bytes are weights, which no structure check can judge),
        // then 2,000 whose changed byte is outside the weights.
        let mut refused = [0usize; 2];
        for (pass, refused) in refused.iter_mut().enumerate() {
            for _ in 0..2000 {
                let at = loop {
                    let at = rng.below(bytes.len());
                    if pass == 0 || !in_weights(at) {
                        break at;
                    }
                };
                let flip = (rng.next() % 255 + 1) as u8;
                bytes[at] ^= flip;
                if check_mindir(&bytes).is_err() {
                    *refused += 1;
                }
                bytes[at] = original[at];
            }
        }
        assert_eq!(bytes, original);
        assert!(refused[0] > 0, "{refused:?}");
        // About half: the other half changes names, strings and values no structure rule covers.
        assert!(refused[1] * 5 >= 2000 * 2, "{refused:?}");
    }

    #[test]
    fn random_multi_byte_garbage_never_panics() {
        let original = fixture("two_io.mindir");
        let mut rng = Rng(42);
        for _ in 0..2000 {
            let mut bytes = original.clone();
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(bytes.len());
                bytes[at] = rng.next() as u8;
            }
            let _ = check_mindir(&bytes);
            let len = rng.below(bytes.len());
            let _ = check_mindir(&bytes[len..]);
        }
        for _ in 0..2000 {
            let len = rng.below(300);
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let _ = check_mindir(&bytes);
        }
    }

    #[test]
    fn non_protobuf_data_is_refused() {
        for data in [
            &b""[..],
            b"this is a text file, not a model\n",
            b"{\"graph\": {}}",
            b"MindIR",
            b"\x00\x00\x00\x00",
        ] {
            let message = problem(data);
            assert!(message.starts_with("not a"), "{message}");
        }
        // Valid protobuf, but no graph.
        let message = problem(&bytes_field(2, b"MindSpore"));
        assert!(message.contains("no graph"), "{message}");
    }

    // --- Wire format -------------------------------------------------------------------------

    #[test]
    fn malformed_wire_format_is_refused() {
        let cases: [(&[u8], &str); 8] = [
            (b"\x3a", "truncated varint"),
            (b"\x3a\x80", "truncated varint"),
            (b"\x3a\x05ab", "length past the end"),
            (b"\x3b\x3c", "group field"),
            (b"\x3e", "unknown wire type 6"),
            (b"\x3f", "unknown wire type 7"),
            (b"\x02\x00", "invalid field number"),
            (
                b"\x50\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
                "varint longer than 10 bytes",
            ),
        ];
        for (data, expected) in cases {
            let message = problem(data);
            assert!(message.contains(expected), "{data:?}: {message}");
        }
        // A field number past 2^29 - 1 (the tag does not fit 32 bits).
        let mut data = Vec::new();
        varint((1u64 << 32) | 2, &mut data);
        assert!(problem(&data).contains("invalid field number"));
        // Packed floats whose length is not a multiple of 4.
        let bytes = float_parameter(&[1], &[bytes_field(3, &[0, 0, 0])]);
        assert!(problem(&bytes).contains("packed field of 4-byte values"));
    }

    #[test]
    fn nesting_is_limited_to_protobuf_depth() {
        fn nested_attribute(levels: usize) -> Vec<u8> {
            let mut attribute = [bytes_field(1, b"leaf"), varint_field(16, 7)].concat();
            for _ in 0..levels {
                attribute = [
                    bytes_field(1, b"tuple"),
                    varint_field(16, 20),
                    bytes_field(17, &attribute),
                ]
                .concat();
            }
            let add = node(&["g:x", "g:w"], "g:y", "REF::Add:1", &[attribute]);
            let w = tensor("g:w", &[1], 1, &[raw(4)]);
            model(&graph("g", &[add], &[w], "g:y"), &[], &["Add:1"])
        }
        assert_eq!(check_mindir(&nested_attribute(60)), Ok(()));
        let message = problem(&nested_attribute(200));
        assert!(message.contains("nested 100 levels deep"), "{message}");
    }

    // --- Tensors -------------------------------------------------------------------------------

    #[test]
    fn consistent_tensors_are_accepted() {
        assert_eq!(check_mindir(&float_parameter(&[2, 3], &[raw(24)])), Ok(()));
        // A scalar, a zero-size tensor and a tensor without data (weights loaded elsewhere).
        assert_eq!(check_mindir(&float_parameter(&[], &[raw(4)])), Ok(()));
        assert_eq!(check_mindir(&float_parameter(&[0, 3], &[raw(0)])), Ok(()));
        assert_eq!(check_mindir(&float_parameter(&[-1, 3], &[])), Ok(()));
        // Packed dims.
        let packed = bytes_field(1, &[2, 3]);
        let w = [packed, varint_field(2, 6), bytes_field(7, b"g:w"), raw(24)].concat();
        assert_eq!(check_mindir(&with_parameter(w)), Ok(()));
        // Typed fields: packed and unpacked floats, complex64 as two floats per element.
        let floats = bytes_field(3, &[0; 12]);
        assert_eq!(check_mindir(&float_parameter(&[3], &[floats])), Ok(()));
        let one = [0x1d, 0, 0, 0, 0].to_vec();
        assert_eq!(
            check_mindir(&float_parameter(&[2], &[one.clone(), one])),
            Ok(())
        );
        let complex = tensor("g:w", &[2], 14, &[bytes_field(3, &[0; 16])]);
        assert_eq!(check_mindir(&with_parameter(complex)), Ok(()));
        // Every sized data type.
        for (data_type, size) in [
            (2, 1),
            (3, 1),
            (4, 2),
            (5, 2),
            (6, 4),
            (7, 8),
            (9, 1),
            (10, 2),
            (11, 8),
            (12, 4),
            (13, 8),
            (14, 8),
            (15, 16),
            (16, 2),
            (17, 8),
        ] {
            let w = tensor("g:w", &[3], data_type, &[raw(3 * size)]);
            assert_eq!(
                check_mindir(&with_parameter(w)),
                Ok(()),
                "data_type {data_type}"
            );
        }
        // Strings: only their count is checked.
        let strings = [bytes_field(5, b"a"), bytes_field(5, b"bc")];
        let w = tensor("g:w", &[2], 8, &strings);
        assert_eq!(check_mindir(&with_parameter(w)), Ok(()));
        // A compressed tensor stores fewer bytes than its dims.
        let compressed = [raw(5), varint_field(16, 4)];
        assert_eq!(check_mindir(&float_parameter(&[100], &compressed)), Ok(()));
    }

    #[test]
    fn inconsistent_tensors_are_refused() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (
                float_parameter(&[2, 3], &[raw(20)]),
                r#"tensor "g:w" declares dims [2, 3] (float32, 24 bytes) but stores 20 bytes (parameter of graph "g", input 1 of node "g:y" (op "REF::Add:1"))"#,
            ),
            (
                float_parameter(&[2, 3], &[raw(28)]),
                "(float32, 24 bytes) but stores 28 bytes",
            ),
            (
                float_parameter(&[-2, 3], &[raw(24)]),
                "negative dimension -2",
            ),
            (
                float_parameter(&[1 << 31, 1], &[raw(4)]),
                "dimension 2147483648, above the limit 2147483647",
            ),
            (
                float_parameter(&[MAX_DIM, MAX_DIM, MAX_DIM], &[raw(4)]),
                "whose element count overflows",
            ),
            (
                float_parameter(&[MAX_DIM, MAX_DIM, 4], &[raw(4)]),
                "whose byte size overflows",
            ),
            (
                with_parameter(tensor("g:w", &[1], 0, &[raw(4)])),
                "unknown data_type 0",
            ),
            (
                with_parameter(tensor("g:w", &[1], 99, &[raw(4)])),
                "unknown data_type 99",
            ),
            (
                with_parameter([bytes_field(7, b"g:w"), raw(4)].concat()),
                "has no data_type",
            ),
            (
                float_parameter(&[4], &[bytes_field(3, &[0; 12])]),
                "(float32, 4 values) but stores 3 values in its typed data fields",
            ),
            (
                with_parameter(tensor("g:w", &[2], 14, &[bytes_field(3, &[0; 8])])),
                "(complex64, 4 values) but stores 2 values",
            ),
            (
                with_parameter(tensor("g:w", &[3], 8, &[bytes_field(5, b"a")])),
                "(string, 3 elements) but stores 1 strings",
            ),
            (
                float_parameter(&[3], &[raw(4), varint_field(16, 7)]),
                "but stores 4 bytes",
            ),
        ];
        for (bytes, expected) in cases {
            let message = problem(&bytes);
            assert!(
                message.contains(expected),
                "{message}\n  expected: {expected}"
            );
        }
    }

    #[test]
    fn tensors_in_attributes_inputs_and_primitives_are_checked() {
        // A Constant node's value.
        let value = tensor("", &[2], 6, &[raw(4)]);
        let attribute = [
            bytes_field(1, b"value"),
            varint_field(16, 17),
            bytes_field(6, &value),
        ]
        .concat();
        let constant = node(&[], "g:c", "Constant", &[attribute]);
        let add = node(&["g:x", "g:c"], "g:y", "REF::Add:1", &[]);
        let w = tensor("g:w", &[1], 1, &[raw(4)]);
        let bytes = model(&graph("g", &[constant, add], &[w], "g:y"), &[], &["Add:1"]);
        let message = problem(&bytes);
        assert!(
            message.starts_with(r#"unnamed tensor declares dims [2] (int32, 8 bytes) but stores 4 bytes (attribute "value" of node "g:c" (op "Constant") in graph "g")"#),
            "{message}"
        );

        // A primitive's tensor attribute, inside a tuple.
        let inner = tensor("t", &[3], 1, &[raw(8)]);
        let element = [varint_field(16, 19), bytes_field(12, &inner)].concat();
        let tuple = [
            bytes_field(1, b"axes"),
            varint_field(16, 20),
            bytes_field(17, &element),
        ]
        .concat();
        let primitive = [bytes_field(1, b"Add:1"), bytes_field(3, &tuple)].concat();
        let mut bytes = with_parameter(tensor("g:w", &[1], 1, &[raw(4)]));
        bytes.extend(bytes_field(12, &primitive));
        let message = problem(&bytes);
        assert!(
            message.contains(r#"(attribute "axes" of primitive "Add:1")"#),
            "{message}"
        );
    }

    #[test]
    fn external_data_entries_are_checked() {
        fn external(location: &str, offset: i64, length: i64) -> Vec<u8> {
            let entry = [
                bytes_field(1, location.as_bytes()),
                varint_field(2, offset as u64),
                varint_field(3, length as u64),
            ]
            .concat();
            bytes_field(12, &entry)
        }
        let ok = external("net_variables/data_0", 64, 24);
        assert_eq!(check_mindir(&float_parameter(&[2, 3], &[ok])), Ok(()));
        let compressed = [external("net_variables/data_0", 64, 7), varint_field(16, 3)];
        assert_eq!(check_mindir(&float_parameter(&[2, 3], &compressed)), Ok(()));

        let cases = [
            (
                external("v/data_0", -1, 24),
                "offset -1 and length 24 (negative)",
            ),
            (external("v/data_0", 0, -24), "(negative)"),
            (external("v/data_0", i64::MAX, 24), "overflows"),
            (
                external("v/data_0", 64, 12),
                "but its external data entry has length 12",
            ),
            (external("", 64, 24), "without a location"),
            (external("/etc/passwd", 0, 24), "not a relative path"),
            (external("v/../../secret", 0, 24), "not a relative path"),
            (external("C:\\weights", 0, 24), "not a relative path"),
        ];
        for (entry, expected) in cases {
            let message = problem(&float_parameter(&[2, 3], &[entry]));
            assert!(
                message.contains(expected),
                "{message}\n  expected: {expected}"
            );
            assert!(message.starts_with(r#"tensor "g:w" "#), "{message}");
        }
    }

    // --- References ------------------------------------------------------------------------------

    #[test]
    fn graph_references_must_resolve() {
        let w = || tensor("g:w", &[1], 1, &[raw(4)]);

        let add = node(&["g:x", "g:nothing"], "g:y", "REF::Add:1", &[]);
        let bytes = model(&graph("g", &[add], &[w()], "g:y"), &[], &["Add:1"]);
        let message = problem(&bytes);
        assert_eq!(
            message,
            r#"node "g:y" (op "REF::Add:1") in graph "g" has input 1 "g:nothing", which names no graph input, parameter, node output, graph or primitive of the model"#
        );

        let add = node(&["g:x", "g:w"], "g:y", "REF::Sub:1", &[]);
        let bytes = model(&graph("g", &[add], &[w()], "g:y"), &[], &["Add:1"]);
        assert!(problem(&bytes).contains(r#"refers to "Sub:1", which is no primitive"#));

        let add = node(&["g:x", "g:w"], "g:y", "REF::Add:1", &[]);
        let bytes = model(&graph("g", &[add], &[w()], "g:z"), &[], &["Add:1"]);
        assert!(problem(&bytes).contains(r#"graph "g" has output "g:z", which names no"#));
    }

    #[test]
    fn references_across_graphs_constants_and_built_ins_resolve() {
        let w = tensor("g:w", &[1], 1, &[raw(4)]);
        // A function graph using the main graph's parameter, called by name from the main graph.
        let inner = node(&["f:x", "g:w"], "f:y", "REF::Add:1", &[]);
        let function = graph("f", &[inner], &[], "f:y");
        let constant = node(&[], "g:c", "Constant", &[]);
        let call = node(&["g:x", "g:c"], "g:y", "REF::f", &[]);
        let meta = node(&["MetaFuncGraph::add", "g:y"], "g:z", "REF::Add:1", &[]);
        let main = graph("g", &[constant, call, meta], &[w], "g:z");
        assert_eq!(check_mindir(&model(&main, &[function], &["Add:1"])), Ok(()));
    }

    #[test]
    fn a_graph_without_parameters_may_name_weights_kept_elsewhere() {
        // Split models keep their parameters in a variables folder: inputs may name them.
        let add = node(&["g:x", "g:w"], "g:y", "REF::Add:1", &[]);
        let bytes = model(
            &graph("g", std::slice::from_ref(&add), &[], "g:y"),
            &[],
            &["Add:1"],
        );
        assert_eq!(check_mindir(&bytes), Ok(()));
        // Their op types are still checked.
        let bytes = model(&graph("g", &[add], &[], "g:y"), &[], &["Mul:1"]);
        assert!(problem(&bytes).contains("refers to"));
    }

    #[test]
    #[ignore = "timing; run with --release"]
    fn checking_shufflenet_is_fast() {
        let bytes = fixture("shufflenet.mindir");
        let runs: u32 = 200;
        let start = std::time::Instant::now();
        for _ in 0..runs {
            assert_eq!(check_mindir(std::hint::black_box(&bytes)), Ok(()));
        }
        let each = start.elapsed() / runs;
        if !cfg!(debug_assertions) {
            assert!(each < std::time::Duration::from_millis(10), "{each:?}");
        }
    }
}
