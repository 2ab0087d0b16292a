//! Tensor layout (shape + data type).

use crate::enums::DataType;
use crate::error::{LiteError, Result};
use megengine_sys::{LiteLayout, LAYOUT_MAX_DIM};

/// Largest rank accepted. The C struct has room for `LAYOUT_MAX_DIM` = 7 dimensions,
/// but the 1.13 runtime asserts `ndim < LAYOUT_MAX_DIM` on every conversion, so the
/// usable maximum is 6 (verified against the runtime).
pub const MAX_RANK: usize = megengine_sys::LAYOUT_MAX_USABLE_DIM;

/// A tensor layout: dimensions and element type. Rank 0 means "not set".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Layout {
    /// Dimensions (at most [`MAX_RANK`]).
    pub shapes: Vec<usize>,
    /// Element type.
    pub data_type: DataType,
}

impl Default for Layout {
    /// Rank 0, float32 (the runtime's `default_layout`).
    fn default() -> Self {
        Layout {
            shapes: Vec::new(),
            data_type: DataType::Float,
        }
    }
}

impl Layout {
    /// A validated layout.
    pub fn new(shapes: impl Into<Vec<usize>>, data_type: DataType) -> Result<Self> {
        let l = Layout {
            shapes: shapes.into(),
            data_type,
        };
        l.validate()?;
        Ok(l)
    }

    /// Check rank <= [`MAX_RANK`] and that the byte size does not overflow.
    pub fn validate(&self) -> Result<()> {
        if self.shapes.len() > MAX_RANK {
            return Err(LiteError::invalid(format!(
                "layout rank {} exceeds the maximum of {MAX_RANK}",
                self.shapes.len()
            )));
        }
        self.checked_nbytes()
            .ok_or_else(|| LiteError::invalid(format!("layout {:?} is too large", self.shapes)))?;
        Ok(())
    }

    /// Rank.
    pub fn ndim(&self) -> usize {
        self.shapes.len()
    }

    /// Bytes per element.
    pub fn element_size(&self) -> usize {
        self.data_type.element_size()
    }

    /// Number of elements (1 for rank 0 is *not* assumed: rank 0 gives 0).
    pub fn num_elements(&self) -> usize {
        self.checked_num_elements().unwrap_or(usize::MAX)
    }

    fn checked_num_elements(&self) -> Option<usize> {
        if self.shapes.is_empty() {
            return Some(0);
        }
        self.shapes
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
    }

    fn checked_nbytes(&self) -> Option<usize> {
        self.checked_num_elements()?
            .checked_mul(self.element_size())
    }

    /// Total bytes of a contiguous tensor with this layout.
    pub fn nbytes(&self) -> usize {
        self.checked_nbytes().unwrap_or(usize::MAX)
    }

    /// Convert to the C struct (validates first).
    pub fn to_c(&self) -> Result<LiteLayout> {
        self.validate()?;
        let mut c = LiteLayout {
            shapes: [0; LAYOUT_MAX_DIM],
            ndim: self.shapes.len(),
            data_type: self.data_type.as_c(),
        };
        c.shapes[..self.shapes.len()].copy_from_slice(&self.shapes);
        Ok(c)
    }

    /// Convert from the C struct.
    pub fn from_c(c: &LiteLayout) -> Result<Self> {
        if c.ndim > LAYOUT_MAX_DIM {
            return Err(LiteError::invalid(format!(
                "layout ndim {} out of range",
                c.ndim
            )));
        }
        Ok(Layout {
            shapes: c.shapes[..c.ndim].to_vec(),
            data_type: DataType::from_c(c.data_type)?,
        })
    }
}
