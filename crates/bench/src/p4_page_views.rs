//! P4: authenticated page views per second.

use super::*;

pub(crate) async fn p4_page_views(stack: &Stack) -> Result<Value> {
    let mut out = json!({});
    let bucket_page = format!("{}?path=small/", stack.bucket_path);
    for (name, path, cookie) in [
        (
            "workspace_page",
            format!("/w/{}", stack.workspace),
            &stack.cookie,
        ),
        // a folder of 20 files: the page, not the S3 server, is measured
        ("bucket_page", bucket_page.clone(), &stack.cookie),
        // the same folder for someone who holds only folders of the bucket
        (
            "bucket_page_folder_person",
            bucket_page,
            &stack.folder_cookie,
        ),
    ] {
        let client = stack.client();
        let url = format!("{}{path}", stack.url);
        let cookie = cookie.clone();
        out[name] = load(stack, 16, 200, move || {
            let (client, url, cookie) = (client.clone(), url.clone(), cookie.clone());
            async move {
                let answer = client.get(url).header("cookie", cookie).send().await?;
                if !answer.status().is_success() {
                    bail!("page answered {}", answer.status());
                }
                answer.bytes().await?;
                Ok(())
            }
        })
        .await?;
    }
    // the S3 call behind each bucket page, made directly: on this machine
    // s3s-fs shares the two cores, so this bounds what the page can reach
    let direct = stack.direct.clone();
    out["bucket_page_direct_list"] = load(stack, 16, 200, move || {
        let direct = direct.clone();
        async move {
            list_page(&direct, "small/", 200).send().await?;
            Ok(())
        }
    })
    .await?;
    // keep the browser's session alive for the whole run
    stack.browser.get("/").await;
    Ok(out)
}
