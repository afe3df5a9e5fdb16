//! `moneytrail._native`: the Rust side of the Python package. Each class
//! holds the library's own values (the loaded transfers, an analysis, a
//! trace) and hands results to Python as JSON records, which
//! `moneytrail/__init__.py` turns into polars DataFrames with exact
//! decimals. Every call that computes releases the GIL.

use pyo3::prelude::*;

mod analysis;
mod attribution;
mod books;
mod errors;
mod investigating;
mod making;
mod records;
mod search;
mod sources;
mod spark;
mod table;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<books::Transfers>()?;
    m.add_class::<analysis::Analysis>()?;
    m.add_class::<search::Traced>()?;
    m.add_class::<investigating::Cases>()?;
    m.add_class::<sources::Sources>()?;
    m.add_class::<spark::SparkPlan>()?;
    m.add_function(wrap_pyfunction!(spark::spark_normalize, m)?)?;
    m.add_function(wrap_pyfunction!(books::load, m)?)?;
    m.add_function(wrap_pyfunction!(books::open_store, m)?)?;
    m.add_function(wrap_pyfunction!(books::ingest_files, m)?)?;
    m.add_function(wrap_pyfunction!(books::sample_files, m)?)?;
    m.add_function(wrap_pyfunction!(making::generate, m)?)?;
    m.add_function(wrap_pyfunction!(attribution::cluster, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
