//! P1: listing folders of 10,000 and 100,000 objects, through the app and directly.

use super::*;

pub(crate) async fn p1_listing(stack: &Stack, options: &Options) -> Result<Value> {
    let client = stack.client();
    let mut out = json!({});
    for (folder, count) in [("10k/", 10_000), ("100k/", options.big_folder)] {
        let (mut app_first, mut direct_first, mut app_walk, mut direct_walk) =
            (vec![], vec![], vec![], vec![]);
        let (mut app_first_byte, mut direct_thousand) = (vec![], vec![]);
        // the first page for someone who holds only folders of the bucket
        let mut folder_person_first = vec![];
        let mut lists_per_view = 0.0;
        for run in 1..=options.runs {
            eprintln!("  {folder} run {run} of {}", options.runs);
            // s3s-fs reads the whole folder for every page it lists, so a
            // walk of 100,000 objects takes minutes: it is timed once
            let walk = run == 1 || count <= 10_000;
            // the first page, as someone opening the folder sees it (200 entries)
            let at = Instant::now();
            let page = client
                .get(format!("{}{}?path={folder}", stack.url, stack.bucket_path))
                .header("cookie", &stack.cookie)
                .send()
                .await?;
            if !page.status().is_success() {
                bail!("listing answered {}", page.status());
            }
            page.text().await?;
            app_first.push(ms(at.elapsed()));
            let at = Instant::now();
            let page = client
                .get(format!("{}{}?path={folder}", stack.url, stack.bucket_path))
                .header("cookie", &stack.folder_cookie)
                .send()
                .await?;
            if !page.status().is_success() {
                bail!("listing for the folder person answered {}", page.status());
            }
            page.text().await?;
            folder_person_first.push(ms(at.elapsed()));
            let at = Instant::now();
            list_page(&stack.direct, folder, 200).send().await?;
            direct_first.push(ms(at.elapsed()));
            // the first byte of a page of 1,000 (the page is made whole before
            // it is sent: its headers come with the first byte) against one
            // LIST of 1,000
            let at = Instant::now();
            let page = client
                .get(format!(
                    "{}{}?path={folder}&per_page=1000",
                    stack.url, stack.bucket_path
                ))
                .header("cookie", &stack.cookie)
                .send()
                .await?;
            app_first_byte.push(ms(at.elapsed()));
            page.text().await?;
            let at = Instant::now();
            list_page(&stack.direct, folder, 1000).send().await?;
            direct_thousand.push(ms(at.elapsed()));

            if !walk {
                continue;
            }
            // every page, 1000 entries each
            let lists_before = stack.s3.request_count();
            let at = Instant::now();
            let mut next = Some(format!("{}?path={folder}&per_page=1000", stack.bucket_path));
            let mut views = 0;
            while let Some(path) = next {
                let body = client
                    .get(format!("{}{path}", stack.url))
                    .header("cookie", &stack.cookie)
                    .send()
                    .await?
                    .text()
                    .await?;
                views += 1;
                next = next_link(&body);
            }
            app_walk.push(ms(at.elapsed()));
            lists_per_view = (stack.s3.request_count() - lists_before) as f64 / views as f64;
            if views < count / 1000 {
                bail!("the walk saw {views} pages of {folder}");
            }
            let at = Instant::now();
            let mut token: Option<String> = None;
            loop {
                let page = list_page(&stack.direct, folder, 1000)
                    .set_continuation_token(token)
                    .send()
                    .await?;
                token = page.next_continuation_token().map(str::to_owned);
                if token.is_none() {
                    break;
                }
            }
            direct_walk.push(ms(at.elapsed()));
        }
        let ratio = |a: &[f64], b: &[f64]| median(a) / median(b);
        out[folder.trim_end_matches('/')] = json!({
            "objects": count,
            "first_page_ms": { "app": spread(app_first.clone()), "direct": spread(direct_first.clone()) },
            "first_page_ratio": round(ratio(&app_first, &direct_first)),
            "folder_person_first_page_ms": spread(folder_person_first.clone()),
            "folder_person_first_page_ratio": round(ratio(&folder_person_first, &direct_first)),
            "first_byte_1000_ms": { "app": spread(app_first_byte.clone()), "direct_list": spread(direct_thousand.clone()) },
            "first_byte_1000_ratio": round(ratio(&app_first_byte, &direct_thousand)),
            "walk_runs": app_walk.len(),
            "walk_ms": { "app": spread(app_walk.clone()), "direct": spread(direct_walk.clone()) },
            "walk_ratio": round(ratio(&app_walk, &direct_walk)),
            "s3_list_calls_per_page_view": round(lists_per_view),
        });
    }
    Ok(out)
}

/// One page of a folder of the bench bucket, asked for directly the way
/// bucketdesk asks for it (`/` as the delimiter).
pub(crate) fn list_page(
    direct: &aws_sdk_s3::Client,
    folder: &str,
    max_keys: i32,
) -> ListObjectsV2FluentBuilder {
    direct
        .list_objects_v2()
        .bucket("bench")
        .prefix(folder)
        .delimiter("/")
        .max_keys(max_keys)
}
