//! P10: a large upload a chunk at a time (as the page's script and `bdk cp`
//! send it: 8 MiB chunks, two at once), straight to bucketdesk and through
//! nginx with a 100 MB request limit, against a direct multipart upload of
//! the same part size, with the server's peak memory; and the server's CPU
//! per GiB when the parts go through it against a direct upload (the page's
//! script with direct uploads on: bucketdesk presigns each part, the bytes
//! go straight to S3).

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

/// A page form post with the session, answered with a redirect.
async fn post_form(stack: &Stack, path: &str, form: &[(&str, &str)]) -> Result<()> {
    let answer = stack
        .client()
        .post(format!("{}{}{path}", stack.url, stack.bucket_path))
        .header("cookie", &stack.cookie)
        .header("x-csrf-token", &stack.csrf)
        .form(form)
        .send()
        .await?;
    if answer.status() != 303 {
        bail!(
            "{path} answered {}: {}",
            answer.status(),
            answer.text().await?
        );
    }
    Ok(())
}

/// Sends `size` bytes as `key` the way the page's script does with direct
/// uploads on: each part's URL from bucketdesk, the part itself to S3.
async fn direct_chunked(stack: &Stack, key: &str, size: u64) -> Result<f64> {
    let client = stack.client();
    let uploads = format!("{}{}/uploads", stack.url, stack.bucket_path);
    let at = Instant::now();
    let started: Value = client
        .post(&uploads)
        .header("cookie", &stack.cookie)
        .header("x-csrf-token", &stack.csrf)
        .form(&[
            ("key", key),
            ("size", &size.to_string()),
            ("last_modified", "1"),
        ])
        .send()
        .await?
        .json()
        .await?;
    if started["direct"] != true {
        bail!("the upload is not direct: {started}");
    }
    let id = started["id"].as_str().context("an upload id")?.to_owned();
    let part = started["part_size"].as_u64().context("a part size")?;
    let chunk = Bytes::from(vec![7u8; part as usize]);
    let numbers: Vec<u64> = (1..=size.div_ceil(part)).collect();
    for pair in numbers.chunks(2) {
        let sends = pair.iter().map(|&n| {
            let (client, chunk) = (client.clone(), chunk.clone());
            let url = format!("{uploads}/{id}/chunks/{n}/url");
            let len = (size - (n - 1) * part).min(part) as usize;
            async move {
                let signed: Value = client
                    .post(url)
                    .header("cookie", &stack.cookie)
                    .header("x-csrf-token", &stack.csrf)
                    .send()
                    .await?
                    .json()
                    .await?;
                let target = signed["url"].as_str().context("a part URL")?;
                let sent = client.put(target).body(chunk.slice(..len)).send().await?;
                if sent.status() != 200 {
                    bail!("a part answered {}: {}", sent.status(), sent.text().await?);
                }
                Ok(())
            }
        });
        for sent in futures::future::join_all(sends).await {
            sent?;
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

/// The server's CPU seconds while `work` runs, with its result.
async fn server_cpu_while<T>(
    stack: &Stack,
    work: impl std::future::Future<Output = T>,
) -> (T, f64) {
    let before = CpuTimes::now(stack.server.id()).app;
    let result = work.await;
    (result, CpuTimes::now(stack.server.id()).app - before)
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
    // the server's work per GiB: the parts through it, then straight to S3
    let gib = size as f64 / (1u64 << 30) as f64;
    let (mut through_cpu, mut direct_cpu, mut direct_speed) = (vec![], vec![], vec![]);
    for run in 0..runs {
        let (speed, cpu) = server_cpu_while(
            stack,
            chunked(stack, &stack.url, &format!("cpu-{run}.bin"), size),
        )
        .await;
        speed?;
        through_cpu.push(cpu / gib);
    }
    post_form(stack, "/settings/direct-uploads/cors", &[]).await?;
    post_form(
        stack,
        "/settings/direct-uploads",
        &[("direct_uploads", "on")],
    )
    .await?;
    for run in 0..runs {
        let (speed, cpu) = server_cpu_while(
            stack,
            direct_chunked(stack, &format!("to-s3-{run}.bin"), size),
        )
        .await;
        direct_speed.push(speed?);
        direct_cpu.push(cpu / gib);
    }
    post_form(
        stack,
        "/settings/direct-uploads",
        &[("direct_uploads", "off")],
    )
    .await?;
    Ok(json!({
        "server_cpu_s_per_gib": {
            "through_server": spread(through_cpu.clone()),
            "direct_to_s3": spread(direct_cpu.clone()),
        },
        "direct_to_s3_cpu_ratio": round(median(&direct_cpu) / median(&through_cpu)),
        "direct_to_s3_mib_s": spread(direct_speed),
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
