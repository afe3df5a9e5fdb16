//! Seeded synthetic transfers: an AMLworld-layout generator for benchmarks,
//! and the small mixed bank and virtual-currency sample shipped in `data/`.
//!
//! Everything here is deterministic: the same seed gives the same bytes on
//! every machine and thread count (a hand-written SplitMix64 generator, so
//! no dependency's version can change the stream). The full training
//! generator, with realistic background traffic and difficulty presets, is
//! a separate piece of work; this module makes just enough data to measure
//! loading and to show the tool on a planted case.

mod amlworld;
mod exercise;
mod plant;
mod rng;
mod sample;
mod trainee;
pub mod training;

pub use amlworld::{write_amlworld, write_amlworld_file, AmlWorldSpec};
pub use exercise::{run_exercise, Exercise, ExerciseRun, EXERCISES};
pub use plant::Planted;
pub use rng::Rng;
pub use sample::{sample_set, PlantedPattern, SampleSet, SAMPLE_SEED};
pub use trainee::trainee_copy;
