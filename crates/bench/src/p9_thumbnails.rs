//! P9: the thumbnail of a 24-megapixel JPEG through the app against a
//! direct GET of the same photo, and the server's memory while one and
//! while eight at once are made (the server makes two at a time, each held
//! to the decoder's memory limit).

use super::*;

const WIDTH: u32 = 6000;
const HEIGHT: u32 = 4000;

pub(crate) async fn p9_thumbnails(stack: &Stack, options: &Options) -> Result<Value> {
    let key = "photo-24mp.jpg";
    let photo = image::RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        // a gradient with some grain, so it compresses like a photo, not like a flat colour
        let grain = ((x.wrapping_mul(7919) ^ y.wrapping_mul(104_729)) % 23) as u8;
        image::Rgb([
            (x / 24) as u8 ^ grain,
            (y / 16) as u8,
            ((x + y) / 40) as u8 ^ grain,
        ])
    });
    let path = stack.s3.root.join("bench").join(key);
    photo.save(&path)?;
    drop(photo);
    let source_mib = std::fs::metadata(&path)?.len() as f64 / (1 << 20) as f64;
    let client = stack.client();
    let url = format!("{}{}/thumbnail?key={key}", stack.url, stack.bucket_path);
    let one = || {
        let request = client.get(&url).header("cookie", &stack.cookie);
        async move {
            let answer = request.send().await?;
            if answer.status().as_u16() != 200 {
                bail!("the thumbnail answered {}", answer.status());
            }
            Ok::<_, anyhow::Error>(answer.bytes().await?.len())
        }
    };
    let baseline = stack.server_rss_mib();
    let (mut app, mut direct, mut rise_one) = (vec![], vec![], vec![]);
    for _ in 0..options.runs {
        let at = Instant::now();
        let (made, highest) = peak_rss_while(stack.server.id(), one()).await;
        made?;
        app.push(ms(at.elapsed()));
        rise_one.push(highest - baseline);
        let at = Instant::now();
        let body = stack
            .direct
            .get_object()
            .bucket("bench")
            .key(key)
            .send()
            .await?
            .body
            .collect()
            .await?;
        direct.push(ms(at.elapsed()));
        drop(body);
    }
    let eight = futures::future::join_all((0..8).map(|_| one()));
    let at = Instant::now();
    let (made, highest) = peak_rss_while(stack.server.id(), eight).await;
    for thumbnail in made {
        thumbnail?;
    }
    let eight_ms = ms(at.elapsed());
    let _ = std::fs::remove_file(&path);
    Ok(json!({
        "megapixels": (WIDTH * HEIGHT) as f64 / 1e6,
        "source_mib": round(source_mib),
        "thumbnail_ms": spread(app.clone()),
        "direct_get_ms": spread(direct.clone()),
        "ratio": round(median(&app) / median(&direct)),
        "server_memory_before_mib": round(baseline),
        "server_memory_rise_one_mib": spread(rise_one),
        "eight_at_once_ms": round(eight_ms),
        "server_memory_rise_eight_at_once_mib": round(highest - baseline),
    }))
}
