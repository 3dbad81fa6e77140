//! Rows to a Parquet file: typed columns, NULL apart from `""`, zstd, row groups of about
//! 128 MB, in bounded memory.
//!
//! Rows are gathered into Arrow record batches of a few thousand rows, which the Parquet writer
//! encodes and compresses as they come; only the row group being written (at most
//! [`ROW_GROUP_BYTES`] encoded) and one batch are held in memory, whatever the table's size.

use std::fs::File;
use std::io::BufWriter;
use std::sync::Arc;

use anyhow::{Context, Result};
use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, ListBuilder, StringBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::source::Value;
use crate::types::{Kind, Misfit, Typed, days_since_epoch};

/// The encoded size at which a row group is closed: the 128 MB that scan engines (DuckDB,
/// Spark, Polars) read best, large enough for long runs of one column, small enough to split
/// a big table across threads.
const ROW_GROUP_BYTES: usize = 128 << 20;

/// Rows per record batch handed to the writer, unless [`BATCH_BYTES`] of text come first.
const BATCH_ROWS: usize = 8192;

/// Text bytes per record batch at most (long overviews and biographies).
const BATCH_BYTES: usize = 16 << 20;

/// One column being gathered.
enum Builder {
    Integer(Int64Builder),
    Real(Float64Builder),
    Boolean(BooleanBuilder),
    Date(Date32Builder),
    Text(StringBuilder),
    Strings(ListBuilder<StringBuilder>),
}

impl Builder {
    fn new(kind: Kind) -> Builder {
        match kind {
            Kind::Integer => Builder::Integer(Int64Builder::new()),
            Kind::Real => Builder::Real(Float64Builder::new()),
            Kind::Boolean => Builder::Boolean(BooleanBuilder::new()),
            Kind::Date => Builder::Date(Date32Builder::new()),
            Kind::Text => Builder::Text(StringBuilder::new()),
            Kind::Strings => Builder::Strings(ListBuilder::new(StringBuilder::new())),
        }
    }

    /// Appends `value`; false when the column's type cannot hold it as it is.
    fn append(&mut self, value: &Value<'_>) -> bool {
        match (self, *value) {
            (Builder::Integer(b), Value::Null) => b.append_null(),
            (Builder::Integer(b), Value::Integer(n)) => b.append_value(n),
            (Builder::Real(b), Value::Null) => b.append_null(),
            (Builder::Real(b), Value::Real(x)) => b.append_value(x),
            // REAL affinity turns integers into doubles as they are stored, so this is only a
            // guard: an integer is the same number as a double up to 2^53, not beyond.
            (Builder::Real(b), Value::Integer(n)) if n.unsigned_abs() <= 1 << 53 => {
                b.append_value(n as f64)
            }
            (Builder::Boolean(b), Value::Null) => b.append_null(),
            (Builder::Boolean(b), Value::Integer(n @ (0 | 1))) => b.append_value(n == 1),
            (Builder::Date(b), Value::Null) => b.append_null(),
            (Builder::Date(b), Value::Text(t)) => match days_since_epoch(t) {
                Some(days) => b.append_value(days),
                None => return false,
            },
            (Builder::Text(b), Value::Null) => b.append_null(),
            (Builder::Text(b), Value::Text(t)) => match std::str::from_utf8(t) {
                Ok(s) => b.append_value(s),
                Err(_) => return false,
            },
            // A column widened after a misfit: numbers in their shortest exact decimal form.
            (Builder::Text(b), Value::Integer(n)) => b.append_value(n.to_string()),
            (Builder::Text(b), Value::Real(x)) => b.append_value(x.to_string()),
            (Builder::Strings(b), Value::Null) => b.append_null(),
            (Builder::Strings(b), Value::Text(t)) => match serde_json::from_slice::<Vec<String>>(t)
            {
                Ok(items) => {
                    for item in items {
                        b.values().append_value(item);
                    }
                    b.append(true);
                }
                Err(_) => return false,
            },
            _ => return false,
        }
        true
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Integer(b) => Arc::new(b.finish()),
            Builder::Real(b) => Arc::new(b.finish()),
            Builder::Boolean(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::Strings(b) => Arc::new(b.finish()),
        }
    }
}

/// The Arrow type of a column type.
fn data_type(kind: Kind) -> DataType {
    match kind {
        Kind::Integer => DataType::Int64,
        Kind::Real => DataType::Float64,
        Kind::Boolean => DataType::Boolean,
        Kind::Date => DataType::Date32,
        Kind::Text => DataType::Utf8,
        // ListBuilder's own item field: nullable "item".
        Kind::Strings => DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
    }
}

/// A Parquet file being written.
pub struct ParquetRows {
    writer: ArrowWriter<BufWriter<File>>,
    schema: SchemaRef,
    columns: Vec<Typed>,
    builders: Vec<Builder>,
    buffered: usize,
    buffered_bytes: usize,
    rows: u64,
}

impl ParquetRows {
    /// Starts a file with one column per `columns`.
    pub fn new(file: File, columns: &[Typed]) -> Result<ParquetRows> {
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|c| Field::new(&c.name, data_type(c.kind), c.nullable))
                .collect::<Vec<_>>(),
        ));
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(None)
            .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
            .build();
        let writer = ArrowWriter::try_new(
            BufWriter::with_capacity(1 << 20, file),
            schema.clone(),
            Some(props),
        )?;
        Ok(ParquetRows {
            writer,
            schema,
            builders: columns.iter().map(|c| Builder::new(c.kind)).collect(),
            columns: columns.to_vec(),
            buffered: 0,
            buffered_bytes: 0,
            rows: 0,
        })
    }

    /// Adds one row; a [`Misfit`] error when a value does not fit its column's type.
    pub fn row(&mut self, values: &[Value<'_>]) -> Result<()> {
        self.rows += 1;
        for (i, (value, builder)) in values.iter().zip(&mut self.builders).enumerate() {
            if !builder.append(value) {
                return Err(Misfit::new(&self.columns[i], i, self.rows, value).into());
            }
            if let Value::Text(t) = value {
                self.buffered_bytes += t.len();
            }
        }
        self.buffered += 1;
        if self.buffered == BATCH_ROWS || self.buffered_bytes >= BATCH_BYTES {
            self.write_batch()?;
        }
        Ok(())
    }

    fn write_batch(&mut self) -> Result<()> {
        let arrays = self.builders.iter_mut().map(Builder::finish).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays)?;
        self.writer.write(&batch)?;
        self.buffered = 0;
        self.buffered_bytes = 0;
        Ok(())
    }

    /// Writes what is gathered and the footer; returns the file.
    pub fn finish(mut self) -> Result<File> {
        if self.buffered > 0 {
            self.write_batch()?;
        }
        // Writes the footer too.
        let out = self.writer.into_inner()?;
        out.into_inner()
            .map_err(|e| e.into_error())
            .context("cannot write the Parquet file")
    }
}
