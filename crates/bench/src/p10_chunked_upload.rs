//! P10: a large upload a chunk at a time (as the page's script and `bdk cp`
//! send it: 8 MiB chunks, two at once), straight to bucketdesk and through
//! nginx with a 100 MB request limit, against a direct multipart upload of
//! the same part size, with the server's peak memory.

use super::*;

/// Sends `size` bytes as `key` through the chunked upload routes at `base`
/// (bucketdesk, or a proxy in front of it); returns MiB/s.
async fn chunked(stack: &Stack, base: &str, key: &str, size: u64) -> Result<f64> {
    let client = stack.client();
    let uploads = format!("{base}{}/uploads", stack.bucket_path);
    let at = Instant::now();
    let started = client
        .post(&uploads)
        .header("cookie", &stack.cookie)
        .header("x-csrf-token", &stack.csrf)
        .form(&[
            ("key", key),
            ("size", &size.to_string()),
            ("last_modified", "1"),
        ])
        .send()
        .await?;
    if !started.status().is_success() {
        bail!(
            "starting answered {}: {}",
            started.status(),
            started.text().await?
        );
    }
    let upload: Value = started.json().await?;
    let id = upload["id"].as_str().context("an upload id")?.to_owned();
    let part = upload["part_size"].as_u64().context("a part size")?;
    let chunk = Bytes::from(vec![7u8; part as usize]);
    let numbers: Vec<u64> = (1..=size.div_ceil(part)).collect();
    for pair in numbers.chunks(2) {
        let sends = pair.iter().map(|&n| {
            let len = (size - (n - 1) * part).min(part) as usize;
            client
                .post(format!("{uploads}/{id}/chunks/{n}"))
                .header("cookie", &stack.cookie)
                .header("x-csrf-token", &stack.csrf)
                .body(chunk.slice(..len))
                .send()
        });
        for sent in futures::future::join_all(sends).await {
            let sent = sent?;
            if sent.status() != 200 {
                bail!("a chunk answered {}: {}", sent.status(), sent.text().await?);
            }
        }
    }
    let done = client
        .post(format!("{uploads}/{id}/complete"))
        .header("cookie", &stack.cookie)
        .header("x-csrf-token", &stack.csrf)
        .send()
        .await?;
    if done.status() != 201 {
        bail!(
            "completing answered {}: {}",
            done.status(),
            done.text().await?
        );
    }
    let speed = size as f64 / (1 << 20) as f64 / at.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(stack.s3.root.join("bench").join(key));
    Ok(speed)
}

pub(crate) async fn p10_chunked_upload(stack: &Stack, options: &Options) -> Result<Value> {
    let size = options.upload_bytes;
    let runs = options.runs.min(3);
    let upstream = stack.url.trim_start_matches("http://").to_owned();
    let proxy =
        bucketdesk_testkit::Nginx::start(bucketdesk_testkit::free_port(), &upstream, "100m");
    let (mut app, mut proxied, mut direct, mut peak) = (vec![], vec![], vec![], vec![]);
    let baseline = stack.server_rss_mib();
    for run in 0..runs {
        let (speed, highest) = peak_rss_while(
            stack.server.id(),
            chunked(stack, &stack.url, &format!("chunked-{run}.bin"), size),
        )
        .await;
        app.push(speed?);
        peak.push(highest - baseline);
        let (speed, highest) = peak_rss_while(
            stack.server.id(),
            chunked(stack, &proxy.url(), &format!("proxied-{run}.bin"), size),
        )
        .await;
        proxied.push(speed?);
        peak.push(highest - baseline);
        direct.push(direct_multipart(stack, &format!("direct-chunked-{run}.bin"), size).await?);
    }
    Ok(json!({
        "size_mib": size >> 20,
        "throughput_mib_s": {
            "app": spread(app.clone()),
            "through_nginx": spread(proxied.clone()),
            "direct": spread(direct.clone()),
        },
        "throughput_ratio": round(median(&app) / median(&direct)),
        "through_nginx_ratio": round(median(&proxied) / median(&direct)),
        "server_memory_before_mib": round(baseline),
        "server_memory_rise_mib": spread(peak),
    }))
}
