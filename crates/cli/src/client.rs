//! The API client: a profile's URL and token, JSON in and out, and API
//! errors turned into [`Failure`]s.

use crate::config::Profile;
use crate::error::Failure;
use bucketdesk_api_types as api;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub struct Client {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Client {
    pub fn new(profile: &Profile) -> Client {
        Client {
            base: profile.url.trim_end_matches('/').to_owned(),
            token: profile.token.clone(),
            http: reqwest::Client::builder()
                .user_agent(concat!("bdk/", env!("CARGO_PKG_VERSION")))
                .build()
                .unwrap_or_default(),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, Failure> {
        let response = request.bearer_auth(&self.token).send().await?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        Err(Failure::from_api(status, &body))
    }

    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, Failure> {
        let request = self.http.get(format!("{}{path}", self.base)).query(query);
        Ok(self.send(request).await?.json().await?)
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, Failure> {
        let request = self.http.post(format!("{}{path}", self.base)).json(body);
        Ok(self.send(request).await?.json().await?)
    }

    pub async fn delete<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, Failure> {
        let request = self
            .http
            .delete(format!("{}{path}", self.base))
            .query(query);
        Ok(self.send(request).await?.json().await?)
    }

    /// A PUT of a streamed body (a file), answered with JSON.
    pub async fn put_stream<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        body: reqwest::Body,
        length: u64,
    ) -> Result<T, Failure> {
        let request = self
            .http
            .put(format!("{}{path}", self.base))
            .query(query)
            .header(reqwest::header::CONTENT_LENGTH, length)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(body);
        Ok(self.send(request).await?.json().await?)
    }

    /// A PUT of bytes in memory (a chunk) with their SHA-256, answered with JSON.
    pub async fn put_bytes<T: DeserializeOwned>(
        &self,
        path: &str,
        body: bytes::Bytes,
        sha256: &str,
    ) -> Result<T, Failure> {
        let request = self
            .http
            .put(format!("{}{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header("x-chunk-sha256", sha256)
            .body(body);
        Ok(self.send(request).await?.json().await?)
    }

    /// A PUT of bytes straight to the bucket, at a presigned URL the server
    /// made (a direct upload's part). No token goes with it: the URL is the
    /// permission.
    pub async fn put_presigned(&self, url: &str, body: bytes::Bytes) -> Result<(), Failure> {
        let response = self
            .http
            .put(url)
            .body(body)
            .send()
            .await
            .map_err(|e| Failure::error(format!("cannot send the chunk to the bucket: {e}")))?;
        if response.status().is_success() {
            return Ok(());
        }
        Err(Failure::error(format!(
            "the bucket refused the chunk ({})",
            response.status()
        )))
    }

    /// A POST answered as text in the given media type (CSV).
    pub async fn post_for_text<B: Serialize>(
        &self,
        path: &str,
        body: &B,
        accept: &str,
    ) -> Result<String, Failure> {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::ACCEPT, accept)
            .json(body);
        Ok(self.send(request).await?.text().await?)
    }

    pub async fn me(&self) -> Result<api::Me, Failure> {
        self.get("/api/v1/me", &[]).await
    }
}
