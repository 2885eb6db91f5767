-- Where browsers reach a bucket's S3 service when bucketdesk reaches it at
-- an address they cannot (a compose service name, a private network):
-- presigned URLs are signed for this endpoint; bucketdesk itself keeps
-- using endpoint_url. Null: presigned URLs use endpoint_url.
alter table buckets add column public_endpoint_url text;

-- Downloads, previews and link visits of the bucket stream through
-- bucketdesk (Range requests passed on) instead of going to a presigned
-- URL: for storage browsers cannot reach at all.
alter table buckets add column proxy_downloads boolean not null default false;
