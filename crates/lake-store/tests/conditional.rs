//! Conditional writes, specified on a local lake and on a real S3 API server (moto): a
//! writer never replaces what another wrote after it looked.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use lake_store::ingest::{put_if_unchanged, version_of};
use lake_store::Location;
use object_store::ObjectStoreExt;

#[path = "support/moto.rs"]
mod moto_server;
use moto_server::{create_bucket, moto};

/// Two writers of one object, each writing only over the version it saw.
async fn writers_never_overwrite_a_newer_object(lake: &Location) {
    let rel = "summaries/week=2026-W21/summary.json";
    let read = || async {
        let got = lake.store.get(&lake.child(rel)).await.unwrap();
        String::from_utf8(got.bytes().await.unwrap().to_vec()).unwrap()
    };
    // Both look while there is nothing.
    let (a, b) = (
        version_of(lake, rel).await.unwrap(),
        version_of(lake, rel).await.unwrap(),
    );
    assert!(a.is_none() && b.is_none());
    assert!(put_if_unchanged(lake, rel, Bytes::from("a1"), &a)
        .await
        .unwrap());
    // B saw it absent: it is not any more, so B writes nothing.
    assert!(!put_if_unchanged(lake, rel, Bytes::from("b1"), &b)
        .await
        .unwrap());
    assert_eq!(read().await, "a1");
    // Both look again; A writes first, B's write over the version it saw is refused.
    let (a, b) = (
        version_of(lake, rel).await.unwrap(),
        version_of(lake, rel).await.unwrap(),
    );
    assert!(a.is_some());
    assert!(put_if_unchanged(lake, rel, Bytes::from("a2-longer"), &a)
        .await
        .unwrap());
    assert!(!put_if_unchanged(lake, rel, Bytes::from("b2"), &b)
        .await
        .unwrap());
    assert_eq!(read().await, "a2-longer");
    // Looking again, B may write.
    let b = version_of(lake, rel).await.unwrap();
    assert!(put_if_unchanged(lake, rel, Bytes::from("b3"), &b)
        .await
        .unwrap());
    assert_eq!(read().await, "b3");
}

#[tokio::test]
async fn on_a_local_lake() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    writers_never_overwrite_a_newer_object(&lake).await;
}

#[tokio::test]
async fn on_s3() {
    moto();
    create_bucket("lake-conditional");
    let lake = Location::parse("s3://lake-conditional/lake", false).unwrap();
    writers_never_overwrite_a_newer_object(&lake).await;
}
