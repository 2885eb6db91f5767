//! P3: a large upload through the app against a direct multipart upload, with the server's peak memory.

use super::*;

/// A body of `size` bytes, streamed in 1 MiB chunks.
pub(crate) fn body(size: u64) -> reqwest::Body {
    let chunk = Bytes::from(vec![7u8; 1 << 20]);
    let chunks = size / (1 << 20);
    let stream =
        futures::stream::iter((0..chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    reqwest::Body::wrap_stream(stream)
}

pub(crate) async fn p3_upload(stack: &Stack, options: &Options) -> Result<Value> {
    let size = options.upload_bytes;
    let runs = options.runs.min(3);
    let client = stack.client();
    let (mut app, mut direct, mut peak) = (vec![], vec![], vec![]);
    // before the first upload: the allocator keeps what a run used for the
    // next, so a baseline taken between runs would hide the rise
    let baseline = stack.server_rss_mib();
    for run in 0..runs {
        let at = Instant::now();
        let upload = client
            .post(format!(
                "{}{}/upload?key=big-{run}.bin",
                stack.url, stack.bucket_path
            ))
            .header("cookie", &stack.cookie)
            .header("x-csrf-token", &stack.csrf)
            .header("content-length", size)
            .body(body(size))
            .send();
        let (answer, highest) = peak_rss_while(stack.server.id(), upload).await;
        let answer = answer?;
        if answer.status().as_u16() != 201 {
            bail!(
                "upload answered {}: {}",
                answer.status(),
                answer.text().await?
            );
        }
        app.push(size as f64 / (1 << 20) as f64 / at.elapsed().as_secs_f64());
        peak.push(highest - baseline);

        // the same bytes, directly, in parts of the same size, two at a time as the app does
        let key = format!("direct-{run}.bin");
        direct.push(direct_multipart(stack, &key, size).await?);
        let _ = std::fs::remove_file(stack.s3.root.join("bench").join(format!("big-{run}.bin")));
    }
    Ok(json!({
        "size_mib": size >> 20,
        "throughput_mib_s": { "app": spread(app.clone()), "direct": spread(direct.clone()) },
        "throughput_ratio": round(median(&app) / median(&direct)),
        "server_memory_before_mib": round(baseline),
        "server_memory_rise_mib": spread(peak),
    }))
}

/// Uploads `size` bytes to `key` straight to S3 in 8 MiB parts, two at a
/// time (as the app does); returns MiB/s.
pub(crate) async fn direct_multipart(stack: &Stack, key: &str, size: u64) -> Result<f64> {
    let at = Instant::now();
    let upload = stack
        .direct
        .create_multipart_upload()
        .bucket("bench")
        .key(key)
        .send()
        .await?;
    let id = upload.upload_id().context("an upload id")?.to_owned();
    let parts = size.div_ceil(PART as u64) as i32;
    let chunk = Bytes::from(vec![7u8; PART]);
    let mut completed = Vec::new();
    for pair in (1..=parts).collect::<Vec<_>>().chunks(2) {
        let sends = pair.iter().map(|&n| {
            let len = (size - (n as u64 - 1) * PART as u64).min(PART as u64) as usize;
            stack
                .direct
                .upload_part()
                .bucket("bench")
                .key(key)
                .upload_id(&id)
                .part_number(n)
                .body(ByteStream::from(chunk.slice(..len)))
                .send()
        });
        for (n, sent) in pair.iter().zip(futures::future::join_all(sends).await) {
            let sent = sent?;
            completed.push(
                CompletedPart::builder()
                    .part_number(*n)
                    .set_e_tag(sent.e_tag().map(str::to_owned))
                    .build(),
            );
        }
    }
    stack
        .direct
        .complete_multipart_upload()
        .bucket("bench")
        .key(key)
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        )
        .send()
        .await?;
    let speed = size as f64 / (1 << 20) as f64 / at.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(stack.s3.root.join("bench").join(key));
    Ok(speed)
}
