//! P2: share links per second through the page and the API, against presigning in a loop.

use super::*;

pub(crate) async fn p2_share_links(stack: &Stack) -> Result<Value> {
    let mut out = json!({});
    for concurrency in [1usize, 16, 64] {
        let per_client = (4000 / concurrency).max(50);
        let app = load(
            stack,
            concurrency,
            per_client,
            share_link(stack, &stack.url),
        )
        .await?;
        // the same link through the JSON API, with a bearer token
        let api_url = format!(
            "{}/api/v1{}/presign",
            stack.url,
            stack
                .bucket_path
                .replacen("/w/", "/workspaces/", 1)
                .replacen("/b/", "/buckets/", 1)
        );
        let (client, token) = (stack.client(), stack.token.clone());
        let api = load(stack, concurrency, per_client, move || {
            let (client, url, token) = (client.clone(), api_url.clone(), token.clone());
            async move {
                let answer = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({ "key": "10k/object-000001.txt" }))
                    .send()
                    .await?;
                if !answer.status().is_success() {
                    bail!("the API's presign answered {}", answer.status());
                }
                answer.bytes().await?;
                Ok(())
            }
        })
        .await?;
        let direct = stack.direct.clone();
        let presign = load(stack, concurrency, per_client, move || {
            let direct = direct.clone();
            async move {
                direct
                    .get_object()
                    .bucket("bench")
                    .key("10k/object-000001.txt")
                    .response_content_disposition("attachment; filename=\"object-000001.txt\"")
                    .presigned(PresigningConfig::expires_in(Duration::from_secs(900))?)
                    .await?;
                Ok(())
            }
        })
        .await?;
        out[format!("{concurrency}_clients")] =
            json!({ "app": app, "api": api, "direct_presign": presign });
    }
    Ok(out)
}
