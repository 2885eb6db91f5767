//! Every S3 call a client makes is timed and counted by operation and
//! outcome (`bucketdesk_s3_call_duration_seconds`), from the moment the SDK
//! starts it to its answer's headers, retries included. Presigning runs the
//! same machinery but sends nothing, and is not counted.

use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use bucketdesk_metrics::{S3Outcome, metrics};
use std::time::Instant;

/// Times and counts each call.
#[derive(Debug)]
pub struct Metered;

/// When the call started.
#[derive(Debug, Clone)]
struct Started(Instant);

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

impl Intercept for Metered {
    fn name(&self) -> &'static str {
        "bucketdesk-metrics"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started(Instant::now()));
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // a presigned request stops before it is sent: no outcome, no call
        let Some(result) = context.output_or_error() else {
            return Ok(());
        };
        let Some(Started(started)) = cfg.load::<Started>() else {
            return Ok(());
        };
        let outcome = match (result, context.response()) {
            (Ok(_), _) => S3Outcome::Ok,
            (Err(_), Some(response)) if response.status().is_server_error() => {
                S3Outcome::ServerError
            }
            (Err(_), Some(response)) if response.status().is_client_error() => {
                S3Outcome::ClientError
            }
            (Err(_), _) => S3Outcome::NoAnswer,
        };
        let operation = cfg.load::<Metadata>().map_or("unknown", Metadata::name);
        metrics().s3_call(operation, outcome, started.elapsed());
        Ok(())
    }
}
