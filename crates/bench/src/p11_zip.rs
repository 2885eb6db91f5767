//! P11: a folder of 1,000 files (256 KiB each) downloaded as one zip
//! through the app, against downloading the same files one by one straight
//! from S3 (one GET after another, as a script or a browser would), and the
//! server's memory while it zips.

use super::*;
use futures::StreamExt;

const FILES: usize = 1000;
const FILE_BYTES: usize = 256 * 1024;

pub(crate) async fn p11_zip(stack: &Stack, options: &Options) -> Result<Value> {
    let folder = stack.s3.root.join("bench/zipme");
    std::fs::create_dir_all(&folder)?;
    let content = vec![b'z'; FILE_BYTES];
    for i in 0..FILES {
        std::fs::write(folder.join(format!("file-{i:04}.bin")), &content)?;
    }
    let total_mib = (FILES * FILE_BYTES) as f64 / (1 << 20) as f64;
    let client = stack.client();
    let url = format!("{}{}/zip?keys=zipme%2F", stack.url, stack.bucket_path);
    let baseline = stack.server_rss_mib();
    let (mut app, mut direct, mut rise) = (vec![], vec![], vec![]);
    for _ in 0..options.runs {
        let at = Instant::now();
        let zipped = async {
            let answer = client
                .get(&url)
                .header("cookie", &stack.cookie)
                .send()
                .await?;
            if answer.status().as_u16() != 200 {
                bail!("the zip answered {}", answer.status());
            }
            let mut body = answer.bytes_stream();
            let mut received = 0usize;
            while let Some(chunk) = body.next().await {
                received += chunk?.len();
            }
            Ok::<_, anyhow::Error>(received)
        };
        let (received, highest) = peak_rss_while(stack.server.id(), zipped).await;
        let received = received?;
        if received < FILES * FILE_BYTES {
            bail!("the zip held only {received} bytes");
        }
        app.push(total_mib / at.elapsed().as_secs_f64());
        rise.push(highest - baseline);

        let at = Instant::now();
        for i in 0..FILES {
            stack
                .direct
                .get_object()
                .bucket("bench")
                .key(format!("zipme/file-{i:04}.bin"))
                .send()
                .await?
                .body
                .collect()
                .await?;
        }
        direct.push(total_mib / at.elapsed().as_secs_f64());
    }
    std::fs::remove_dir_all(&folder)?;
    Ok(json!({
        "files": FILES,
        "total_mib": total_mib,
        "throughput_mib_s": { "app": spread(app.clone()), "direct_one_by_one": spread(direct.clone()) },
        "ratio": round(median(&app) / median(&direct)),
        "server_memory_before_mib": round(baseline),
        "server_memory_rise_mib": spread(rise),
    }))
}
