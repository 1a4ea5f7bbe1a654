//! Adapter conformance: every provider adapter runs the same capability
//! checks through the built `modelgate` binary (`modelgate serve`), against
//! the mock upstream replaying that provider's recorded wire data. Every
//! check looks only at the wire: the HTTP and gRPC answers, and the requests
//! the mock received. Prints one table (rows: capabilities, columns:
//! adapters) and fails if any declared capability fails. Each cell says what
//! the mock's answers it used rest on (the mock's source table): `recorded`,
//! `documented`, `quoted`, `borrowed (from …)` or `synthetic`.
//!
//! A test target of `modelgate-cli` (cli/Cargo.toml), which is what lets it
//! find the binary cargo built.

mod adapters;
mod checks;
mod gateway;
mod responses;
// Starting and stopping `modelgate` processes, shared with the binary's own tests.
#[path = "../../cli/tests/support/mod.rs"]
mod support;

use std::process::ExitCode;

use checks::Cap;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("cannot start a runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run())
}

async fn run() -> ExitCode {
    let gw = match gateway::Gateway::start(&adapters::all()).await {
        Ok(gw) => std::sync::Arc::new(gw),
        Err(why) => {
            println!("conformance: {why}");
            return ExitCode::FAILURE;
        }
    };
    let specs = adapters::all();
    let mut rows: Vec<(Cap, Vec<String>)> = Cap::ALL.iter().map(|c| (*c, Vec::new())).collect();
    let (mut passed, mut failed) = (0, 0);
    let mut failures = Vec::new();
    let mut sources = Vec::new();
    for spec in &specs {
        for (cap, cells) in &mut rows {
            if !spec.caps.contains(cap) {
                cells.push("-".into());
                continue;
            }
            let (source, notes) = match checks::source_of(*cap, spec) {
                Ok(found) => found,
                Err(why) => {
                    failed += 1;
                    cells.push("FAIL: no source".into());
                    failures.push(format!("{} / {}: {why}", spec.name, cap.name()));
                    continue;
                }
            };
            for note in notes {
                let line = format!("{} / {}: {note}", spec.name, cap.name());
                if !sources.contains(&line) {
                    sources.push(line);
                }
            }
            let outcome = tokio::spawn(checks::run(*cap, spec.clone(), gw.clone())).await;
            let outcome = match outcome {
                Ok(result) => result,
                Err(join) => Err(format!("panicked: {join}")),
            };
            match outcome {
                Ok(()) => {
                    passed += 1;
                    cells.push(format!("ok: {source}"));
                }
                Err(why) => {
                    failed += 1;
                    cells.push(format!("FAIL: {source}"));
                    failures.push(format!("{} / {}: {why}", spec.name, cap.name()));
                }
            }
        }
    }
    print_table(&specs.iter().map(|s| s.name).collect::<Vec<_>>(), &rows);
    println!("Answers that are not the provider's own recording (mock-upstream/SOURCES.md):");
    for s in &sources {
        println!("  {s}");
    }
    println!();
    for f in &failures {
        println!("FAILED {f}");
    }
    if !failures.is_empty() {
        println!("modelgate's log:\n{}", gw.process.log());
    }
    println!("conformance: {passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn print_table(names: &[&str], rows: &[(Cap, Vec<String>)]) {
    let first = rows
        .iter()
        .map(|(c, _)| c.name().len())
        .max()
        .unwrap_or(10)
        .max(10);
    // Each column as wide as its widest cell, two spaces apart.
    let widths: Vec<usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            rows.iter()
                .filter_map(|(_, cells)| cells.get(i).map(String::len))
                .max()
                .unwrap_or(0)
                .max(n.len())
                + 2
        })
        .collect();
    print!("\n{:first$}", "capability");
    for (n, width) in names.iter().zip(&widths) {
        print!("{n:>width$}");
    }
    println!();
    for (cap, cells) in rows {
        print!("{:first$}", cap.name());
        for (c, width) in cells.iter().zip(&widths) {
            print!("{c:>width$}");
        }
        println!();
    }
    println!();
}
