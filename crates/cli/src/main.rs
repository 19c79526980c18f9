//! `savedmodel`: inspect, check and run TensorFlow SavedModels without
//! TensorFlow. A drop-in for `saved_model_cli`: every flag also accepts
//! TensorFlow's underscore spelling, and `--dir DIR` works as well as a
//! positional DIR.
//!
//! Exit codes: 0 ok, 1 the model or the input is wrong, 2 usage.

mod bench;
mod checkpoint;
mod json;
mod literal;
mod output;
mod run;
mod scan;
mod show;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Inspect, check and run TensorFlow SavedModels without TensorFlow.
#[derive(Parser)]
#[command(name = "savedmodel", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show tag sets, signatures, functions and ops of a SavedModel (never executes it).
    Show(show::ShowArgs),
    /// Call a signature with inputs from files, literals or tf.Examples.
    Run(run::RunArgs),
    /// Time loading and calling one signature.
    Bench(bench::BenchArgs),
    /// Report denylisted ops (file and console I/O by default) per signature and function.
    Scan(scan::ScanArgs),
    /// List the tensors of a checkpoint, or print one.
    Checkpoint(checkpoint::CheckpointArgs),
}

/// The model location: a positional DIR or `--dir DIR`.
#[derive(Args, Debug, Clone)]
pub struct ModelDir {
    /// SavedModel directory, TF Serving base path (highest version), or TF1 `.meta` file.
    #[arg(value_name = "DIR", required_unless_present = "dir_flag")]
    pub dir: Option<PathBuf>,
    /// Same as the positional DIR (saved_model_cli's spelling).
    #[arg(long = "dir", value_name = "DIR", conflicts_with = "dir")]
    pub dir_flag: Option<PathBuf>,
}

impl ModelDir {
    /// The path given either way.
    pub fn path(&self) -> PathBuf {
        self.dir
            .clone()
            .or_else(|| self.dir_flag.clone())
            .unwrap_or_default()
    }
}

/// mimalloc keeps freed pages for reuse: a model call allocates and frees
/// the same activation sizes every time, and the system allocator would
/// hand large ones back to the kernel and fault them in again per call.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Show(args) => show::run(args),
        Command::Scan(args) => scan::run(args),
        Command::Run(args) => run::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Checkpoint(args) => checkpoint::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            let mut message = format!("error: {err}");
            for cause in err.chain().skip(1) {
                let cause = cause.to_string();
                if !message.contains(&cause) {
                    message.push_str(&format!(": {cause}"));
                }
            }
            eprintln!("{message}");
            ExitCode::from(1)
        }
    }
}
