//! The Lambda's entry point: the runtime loop, or one local invocation.
//!
//! ```text
//! lake-lambda                      # under Lambda (or `cargo lambda watch`)
//! lake-lambda --event event.json   # one invocation here, the response on stdout
//! ```
//! Configuration: see [`lake_lambda::Config`] (`LAKE_URL`, `LAKE_SAMPLE`,
//! `LAKE_METRIC_NAMESPACE`, `LAKE_CONCURRENCY`).

use std::sync::Arc;

use anyhow::Context;
use aws_lambda_events::event::s3::S3Event;
use lake_lambda::{handle, Config};
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    // JSON logs when the function's log format is JSON (AWS_LAMBDA_LOG_FORMAT), text otherwise.
    lambda_runtime::tracing::init_default_subscriber();
    let config = Arc::new(Config::from_env()?);
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, path] = args.as_slice() {
        if flag == "--event" {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
            let event: S3Event =
                serde_json::from_str(&text).with_context(|| format!("{path}: not an S3 event"))?;
            let response = handle(&config, &event).await?;
            println!("{}", serde_json::to_string_pretty(&response)?);
            return Ok(());
        }
    }
    if !args.is_empty() {
        return Err("usage: lake-lambda [--event EVENT.json]".into());
    }
    lambda_runtime::run(service_fn(move |event: LambdaEvent<S3Event>| {
        let config = config.clone();
        async move {
            handle(&config, &event.payload)
                .await
                .map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}
