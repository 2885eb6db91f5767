//! `bucketdesk-bench`: measures bucketdesk against doing the same work
//! directly on the same S3 server in the same run (DESIGN.md P1-P4), because
//! absolute times on a shared machine are noisy; ratios are what count.
//!
//! It starts a real stack: a fresh Postgres database, the signature-verifying
//! s3s-fs server with folders of 10,000 and 100,000 objects, and the release
//! `bucketdesk` binary next to this one. Then:
//! - P1: first page and a walk of every page of each folder, through the app
//!   and with a bare ListObjectsV2 loop; S3 LIST calls per page view;
//! - P2: share-link requests per second (p50, p99) with 1, 16 and 64
//!   clients, through the page and through the API with a token, and presigning in a loop with aws-sdk-s3;
//! - P3: a 1 GiB upload through the app and a direct multipart upload with
//!   the same part size, and the server's peak memory during it;
//! - P4: authenticated page views per second (the workspace page, and a
//!   bucket page listing a folder of 20 files);
//! - P8: presigned links for 1,000 keys: one `bdk presign --recursive`
//!   call (a token, no AWS keys) against 1,000 `aws s3 presign` processes
//!   (as shell loops do) and a boto3 loop in one Python process (`aws` and
//!   `python3` with boto3 from PATH, or AWS_CLI and PYTHON; skipped without);
//! - P9: the thumbnail of a 24-megapixel JPEG against a direct GET of the
//!   photo, and the server's memory while one and eight at once are made;
//! - P10: a 1 GiB upload a chunk at a time (8 MiB chunks, two at once), to
//!   bucketdesk and through nginx with a 100 MB request limit, against a
//!   direct multipart upload of the same part size, and the server's memory;
//!   and the server's CPU per GiB with the parts straight to S3 (direct
//!   uploads) against through the server;
//! - P11: a folder of 1,000 files as one zip against the same files
//!   downloaded one by one straight from S3, and the server's memory;
//! - P12: the home page, the audit page (with each filter) and the Members
//!   page with 5 million audit events (1 million with --quick), 30
//!   workspaces and 50 pending invitations, against the same pages before
//!   the database was filled;
//! - P13: share links and page views per second, 16 clients, through nginx
//!   to one replica and to two on the same database, and the CPU split.
//!
//! ```sh
//! cargo build --release -p bucketdesk -p bucketdesk-bench -p bucketdesk-cli
//! target/release/bucketdesk-bench   # options: --quick, --only p2,p8, --postgres-tls, --out FILE
//! ```

mod measure;
mod p10_chunked_upload;
mod p11_zip;
mod p12_cold_pages;
mod p13_replicas;
mod p1_listing;
mod p2_share_links;
mod p3_upload;
mod p4_page_views;
mod p8_presign;
mod p9_thumbnails;
mod stack;

use anyhow::{Context, Result, bail};
use aws_sdk_s3::operation::list_objects_v2::builders::ListObjectsV2FluentBuilder;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bucketdesk_s3_local::LocalS3;
use bucketdesk_storage::{Connection, StorageOptions, s3_client};
use bucketdesk_testkit::{
    Browser, FIXTURE_KEY_PEM, MailSink, S3_ACCESS_KEY, S3_SECRET_KEY, code_in, empty_database,
};
use bytes::Bytes;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) const PART: usize = 8 * 1024 * 1024;

pub(crate) struct Options {
    /// The measures to take (`--only p2,p4`); all four by default.
    only: Vec<String>,
    /// The app reaches Postgres over TLS (`--postgres-tls`); plain TCP by
    /// default, as in docker-compose.yml.
    postgres_tls: bool,
    runs: usize,
    big_folder: usize,
    /// How many `aws s3 presign` processes P8 runs (the rest is projected).
    aws_cli_runs: usize,
    upload_bytes: u64,
    out: String,
}

impl Options {
    fn wants(&self, measure: &str) -> bool {
        self.only.iter().any(|m| m == measure)
    }
}

/// Median, fastest and slowest of some numbers.
pub(crate) fn spread(mut values: Vec<f64>) -> Value {
    values.sort_by(|a, b| a.total_cmp(b));
    let median = values[values.len() / 2];
    json!({ "median": round(median), "min": round(values[0]), "max": round(values[values.len() - 1]) })
}

pub(crate) fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
use measure::*;
use p1_listing::*;
use p2_share_links::*;
use p3_upload::*;
use p4_page_views::*;
use p8_presign::*;
use p9_thumbnails::*;
use p10_chunked_upload::*;
use p11_zip::*;
use p12_cold_pages::*;
use p13_replicas::*;
use stack::*;

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| "target/bench/results.json".into());
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|list| list.split(',').map(|m| m.trim().to_lowercase()).collect())
        .unwrap_or_else(|| {
            [
                "p1", "p2", "p3", "p4", "p8", "p9", "p10", "p11", "p13", "p12",
            ]
            .map(String::from)
            .to_vec()
        });
    let options = Options {
        only,
        postgres_tls: args.iter().any(|a| a == "--postgres-tls"),
        runs: if quick { 2 } else { 3 },
        big_folder: if quick { 20_000 } else { 100_000 },
        aws_cli_runs: if quick { 100 } else { 1000 },
        upload_bytes: if quick { 256 << 20 } else { 1 << 30 },
        out,
    };
    let mut stack = Stack::start(&options).await?;
    let mut results = json!({
        "machine": machine(),
        "runs": options.runs,
        "postgres_tls": options.postgres_tls,
    });
    if options.wants("p1") {
        eprintln!("P1: listing...");
        results["p1_listing"] = p1_listing(&stack, &options).await?;
    }
    if options.wants("p2") {
        eprintln!("P2: share links...");
        results["p2_share_links"] = p2_share_links(&stack).await?;
    }
    if options.wants("p3") {
        eprintln!("P3: 1 GiB upload...");
        results["p3_upload"] = p3_upload(&stack, &options).await?;
    }
    if options.wants("p4") {
        eprintln!("P4: page views...");
        results["p4_page_views"] = p4_page_views(&stack).await?;
    }
    if options.wants("p8") {
        eprintln!("P8: presigning 1,000 keys...");
        results["p8_presign_1000"] = p8_presign_1000(&stack, &options).await?;
    }
    if options.wants("p10") {
        eprintln!("P10: 1 GiB upload a chunk at a time, direct and through nginx...");
        results["p10_chunked_upload"] = p10_chunked_upload(&stack, &options).await?;
    }
    if options.wants("p11") {
        eprintln!("P11: a folder of 1,000 files as one zip...");
        results["p11_zip"] = p11_zip(&stack, &options).await?;
    }
    if options.wants("p9") {
        eprintln!("P9: thumbnails of a 24-megapixel photo...");
        results["p9_thumbnails"] = p9_thumbnails(&stack, &options).await?;
    }
    if options.wants("p13") {
        eprintln!("P13: one replica against two, behind nginx...");
        results["p13_replicas"] = p13_replicas(&mut stack).await?;
    }
    // last: it fills the database
    if options.wants("p12") {
        eprintln!("P12: pages that read the audit log, on a busy instance...");
        let events = if quick { 1_000_000 } else { 5_000_000 };
        results["p12_cold_pages"] = p12_cold_pages(&stack, events).await?;
    }
    if let Some(dir) = std::path::Path::new(&options.out).parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&options.out, serde_json::to_string_pretty(&results)?)?;
    println!("{}", table(&results));
    eprintln!("written to {}", options.out);
    Ok(())
}

/// The results as a Markdown table: what was measured, then where the CPU went.
/// `a / b` to two decimals, or "?" when either is missing.
fn ratio(a: &Value, b: &Value) -> String {
    match (a.as_f64(), b.as_f64()) {
        (Some(a), Some(b)) if b > 0.0 && a / b < 0.01 => format!("{:.4}", a / b),
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "?".into(),
    }
}

fn table(r: &Value) -> String {
    let m = &r["machine"];
    let mut t = format!(
        "Machine: {} ({} cores, {} GiB). Medians of {} runs; ratio = app / direct. \
         Postgres on the same machine, reached over {}.\n\n",
        m["cpu"].as_str().unwrap_or("?"),
        m["cores"],
        m["memory_gib"],
        r["runs"],
        if r["postgres_tls"] == json!(true) {
            "TLS"
        } else {
            "plain TCP"
        },
    );
    t.push_str("| Measure | bucketdesk | direct S3 | ratio | target |\n|---|---|---|---|---|\n");
    let mut cpu = String::new();
    let mut cpu_row = |label: String, p: &Value| {
        let c = &p["cpu_ms_per_request"];
        cpu.push_str(&format!(
            "| {label} | {} | {} | {} |\n",
            c["app"], c["postgres"], c["load_generator"]
        ));
    };
    for folder in ["10k", "100k"] {
        let p = &r["p1_listing"][folder];
        if p.is_null() {
            continue;
        }
        t.push_str(&format!(
            "| P1 first page, {} objects | {} ms | {} ms | {} | about 1 round trip |\n",
            p["objects"],
            p["first_page_ms"]["app"]["median"],
            p["first_page_ms"]["direct"]["median"],
            p["first_page_ratio"]
        ));
        t.push_str(&format!(
            "| P1 first page, {} objects, for someone with only folders | {} ms | {} ms | {} | as above |\n",
            p["objects"],
            p["folder_person_first_page_ms"]["median"],
            p["first_page_ms"]["direct"]["median"],
            p["folder_person_first_page_ratio"]
        ));
        t.push_str(&format!(
            "| P1 first byte of a 1,000-entry page vs one LIST of 1,000, {} objects | {} ms | {} ms | {} | ≤ 1.2 |\n",
            p["objects"],
            p["first_byte_1000_ms"]["app"]["median"],
            p["first_byte_1000_ms"]["direct_list"]["median"],
            p["first_byte_1000_ratio"]
        ));
        t.push_str(&format!(
            "| P1 every page (1000 each), {} objects ({} runs) | {} ms | {} ms | {} | ≤ 1.2 |\n",
            p["objects"],
            p["walk_runs"],
            p["walk_ms"]["app"]["median"],
            p["walk_ms"]["direct"]["median"],
            p["walk_ratio"]
        ));
        t.push_str(&format!(
            "| P1 S3 LIST calls per page view, {} objects | {} | | | ≤ 1 |\n",
            p["objects"], p["s3_list_calls_per_page_view"]
        ));
    }
    for c in ["1", "16", "64"] {
        let p = &r["p2_share_links"][format!("{c}_clients")];
        if p.is_null() {
            continue;
        }
        t.push_str(&format!(
            "| P2 share links/s, {c} clients (p50 / p99 ms) | {} ({} / {}) | {} presigns/s | | ≥ 3,000/s |\n",
            p["app"]["requests_per_second"], p["app"]["p50_ms"], p["app"]["p99_ms"], p["direct_presign"]["requests_per_second"]
        ));
        cpu_row(format!("P2 share link, {c} clients"), &p["app"]);
        t.push_str(&format!(
            "| P2 share links/s through the API, {c} clients (p50 / p99 ms) | {} ({} / {}) | {} presigns/s | | ≥ the page's rate |\n",
            p["api"]["requests_per_second"], p["api"]["p50_ms"], p["api"]["p99_ms"], p["direct_presign"]["requests_per_second"]
        ));
    }
    let p = &r["p3_upload"];
    if !p.is_null() {
        t.push_str(&format!(
            "| P3 upload of {} MiB, MiB/s | {} | {} | {} | ≥ 0.8 |\n",
            p["size_mib"],
            p["throughput_mib_s"]["app"]["median"],
            p["throughput_mib_s"]["direct"]["median"],
            p["throughput_ratio"]
        ));
        t.push_str(&format!(
            "| P3 server memory rise during it (highest of the runs, over {} MiB before) | {} MiB | | | ≤ 64 MiB |\n",
            p["server_memory_before_mib"],
            p["server_memory_rise_mib"]["max"]
        ));
    }
    let p4 = &r["p4_page_views"];
    for (name, label, direct) in [
        ("workspace_page", "workspace page", String::new()),
        (
            "bucket_page",
            "bucket page (20 files)",
            format!(
                "{} LISTs/s",
                p4["bucket_page_direct_list"]["requests_per_second"]
            ),
        ),
        (
            "bucket_page_folder_person",
            "bucket page (20 files) for someone with only folders",
            format!(
                "{} LISTs/s",
                p4["bucket_page_direct_list"]["requests_per_second"]
            ),
        ),
    ] {
        let p = &p4[name];
        if p.is_null() {
            continue;
        }
        t.push_str(&format!(
            "| P4 {label} views/s, 16 clients (p50 / p99 ms) | {} ({} / {}) | {direct} | | ≥ 2,000/s |\n",
            p["requests_per_second"], p["p50_ms"], p["p99_ms"]
        ));
        cpu_row(format!("P4 {label}"), p);
    }
    let p8 = &r["p8_presign_1000"];
    if !p8.is_null() {
        t.push_str(&format!(
            "| P8 presigned links for 1,000 keys: `bdk presign --recursive` vs 1,000 × `aws s3 presign` | {} ms | {} ms | {} | faster |\n",
            p8["bdk_batch_ms"]["median"],
            p8["aws_cli"]["ms_for_1000"],
            ratio(&p8["bdk_batch_ms"]["median"], &p8["aws_cli"]["ms_for_1000"])
        ));
        t.push_str(&format!(
            "| P8 the same vs a boto3 loop (one Python process) | {} ms | {} ms | {} | |\n",
            p8["bdk_batch_ms"]["median"],
            p8["boto3_loop_ms"]["median"],
            ratio(
                &p8["bdk_batch_ms"]["median"],
                &p8["boto3_loop_ms"]["median"]
            )
        ));
    }
    let p = &r["p10_chunked_upload"];
    if !p.is_null() {
        t.push_str(&format!(
            "| P10 upload of {} MiB in 8 MiB chunks, MiB/s | {} | {} | {} | ≥ 0.8 |\n",
            p["size_mib"],
            p["throughput_mib_s"]["app"]["median"],
            p["throughput_mib_s"]["direct"]["median"],
            p["throughput_ratio"]
        ));
        t.push_str(&format!(
            "| P10 the same through nginx (client_max_body_size 100m), MiB/s | {} | {} | {} | ≥ 0.8 |\n",
            p["throughput_mib_s"]["through_nginx"]["median"],
            p["throughput_mib_s"]["direct"]["median"],
            p["through_nginx_ratio"]
        ));
        t.push_str(&format!(
            "| P10 server CPU per GiB: parts straight to S3 (direct uploads) vs through the server | {} s | {} s | {} | large drop |\n",
            p["server_cpu_s_per_gib"]["direct_to_s3"]["median"],
            p["server_cpu_s_per_gib"]["through_server"]["median"],
            p["direct_to_s3_cpu_ratio"]
        ));
        t.push_str(&format!(
            "| P10 server memory rise during them (highest, over {} MiB before) | {} MiB | | | ≤ 64 MiB |\n",
            p["server_memory_before_mib"],
            p["server_memory_rise_mib"]["max"]
        ));
    }
    let p = &r["p11_zip"];
    if !p.is_null() {
        t.push_str(&format!(
            "| P11 {} files ({} MiB) as one zip, MiB/s (direct: GET one by one) | {} | {} | {} | ≥ 1 |\n",
            p["files"],
            p["total_mib"],
            p["throughput_mib_s"]["app"]["median"],
            p["throughput_mib_s"]["direct_one_by_one"]["median"],
            p["ratio"]
        ));
        t.push_str(&format!(
            "| P11 server memory rise while zipping (highest, over {} MiB before) | {} MiB | | | ≤ 64 MiB |\n",
            p["server_memory_before_mib"],
            p["server_memory_rise_mib"]["max"]
        ));
    }
    let p9 = &r["p9_thumbnails"];
    if !p9.is_null() {
        t.push_str(&format!(
            "| P9 thumbnail of a {}-megapixel JPEG ({} MiB) vs a direct GET of it, ms | {} | {} | {} | |\n",
            p9["megapixels"],
            p9["source_mib"],
            p9["thumbnail_ms"]["median"],
            p9["direct_get_ms"]["median"],
            p9["ratio"]
        ));
        t.push_str(&format!(
            "| P9 server memory rise: one thumbnail / eight at once (over {} MiB before) | {} / {} MiB | | | ≤ 2 × 190 MiB |\n",
            p9["server_memory_before_mib"],
            p9["server_memory_rise_one_mib"]["max"],
            p9["server_memory_rise_eight_at_once_mib"]
        ));
    }
    let p = &r["p13_replicas"];
    if !p.is_null() {
        for (what, words) in [
            ("share_links", "share links/s"),
            ("page_views", "workspace page views/s"),
        ] {
            let (one, two) = (&p["one_replica"][what], &p["two_replicas"][what]);
            t.push_str(&format!(
                "| P13 {words}, 16 clients through nginx: two replicas (direct: one) | {} | {} | {} | close to 2 where cores allow |\n",
                two["requests_per_second"], one["requests_per_second"], p[format!("{what}_ratio")]
            ));
            t.push_str(&format!(
                "| P13 {words}: CPU ms per request, servers {} / nginx {} / Postgres {} / load generator and s3s-fs {} (one replica: {} / {} / {} / {}) | | | | |\n",
                two["cpu_ms_per_request"]["servers"], two["cpu_ms_per_request"]["nginx"],
                two["cpu_ms_per_request"]["postgres"], two["cpu_ms_per_request"]["load_generator"],
                one["cpu_ms_per_request"]["servers"], one["cpu_ms_per_request"]["nginx"],
                one["cpu_ms_per_request"]["postgres"], one["cpu_ms_per_request"]["load_generator"]
            ));
        }
    }
    let p = &r["p12_cold_pages"];
    if !p.is_null() {
        let names = p["busy_ms"]
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        for name in names {
            t.push_str(&format!(
                "| P12 {name}, ms: {} audit events, {} workspaces, {} invitations (direct: the same page on the bench's empty instance) | {} | {} | {} | < 20 ms |\n",
                p["audit_events"],
                p["workspaces"],
                p["pending_invitations"],
                p["busy_ms"][&name],
                p["empty_ms"][&name],
                p["ratio"][&name]
            ));
        }
    }
    if !cpu.is_empty() {
        t.push_str(
            "\nCPU milliseconds per request, all on the same two cores:\n\n\
             | Request | bucketdesk | Postgres | load generator and s3s-fs |\n|---|---|---|---|\n",
        );
        t.push_str(&cpu);
    }
    t
}
