//! The contract of [`KnowledgeStore`].
//!
//! Search is global, so every case works with its own sources (a unique prefix) and
//! judges only the hits from them; queries search with a large limit and filter.

use std::sync::Arc;

use tokio::sync::Barrier;

use super::support::{assert_not_found, ok, retry, tick, unique, unknown_id};
use crate::Error;
use crate::ports::storage::{ChunkHit, KnowledgeStore, NewChunk, NewDocument};

fn chunk(text: &str) -> NewChunk {
    NewChunk {
        text: text.to_owned(),
        embedding: None,
    }
}

fn doc(source: &str, title: &str, chunks: &[&str]) -> NewDocument {
    NewDocument {
        source: source.to_owned(),
        title: title.to_owned(),
        body: chunks.join("\n\n"),
        chunks: chunks.iter().map(|t| chunk(t)).collect(),
    }
}

/// Hits of `query` from documents whose source starts with `prefix`, in result order.
async fn search_own<S>(store: &S, prefix: &str, query: &str) -> Vec<ChunkHit>
where
    S: KnowledgeStore + ?Sized,
{
    let hits = ok(store.search_chunks(query, 1_000).await, "search_chunks");
    assert!(
        hits.windows(2).all(|w| w[0].rank >= w[1].rank),
        "best first: {hits:?}"
    );
    assert!(hits.iter().all(|h| h.rank > 0.0), "ranks are positive");
    hits.into_iter()
        .filter(|h| h.source.starts_with(prefix))
        .collect()
}

fn sources(hits: &[ChunkHit]) -> Vec<&str> {
    hits.iter().map(|h| h.source.as_str()).collect()
}

/// Three documents about different topics, under `prefix`.
async fn library<S>(store: &S, prefix: &str) -> [String; 3]
where
    S: KnowledgeStore + ?Sized,
{
    let refunds = format!("{prefix}/refunds.md");
    let payouts = format!("{prefix}/payouts.md");
    let disputes = format!("{prefix}/disputes.md");
    ok(
        store
            .upsert_document(&doc(
                &refunds,
                "Refunds",
                &[
                    "The refund rate is refunded amount divided by revenue in the window.",
                    "Keep refunds below five percent of revenue to score well.",
                ],
            ))
            .await,
        "upsert refunds",
    );
    ok(
        store
            .upsert_document(&doc(
                &payouts,
                "Payouts",
                &["Payouts arrive on a schedule; late payouts lower the reliability factor."],
            ))
            .await,
        "upsert payouts",
    );
    ok(
        store
            .upsert_document(&doc(
                &disputes,
                "Disputes",
                &["Chargebacks open a dispute; each dispute counts against the business."],
            ))
            .await,
        "upsert disputes",
    );
    [refunds, payouts, disputes]
}

/// A document is stored with its chunks in order (embeddings exact), found by source,
/// and keeps its id and `created_at` when upserted again, with its chunks replaced.
pub async fn upsert_document_stores_and_replaces_chunks<S>(store: Arc<S>)
where
    S: KnowledgeStore + ?Sized,
{
    let source = format!("{}/guide.md", unique("kb"));
    let first = NewDocument {
        source: source.clone(),
        title: "Guide".to_owned(),
        body: "one two three".to_owned(),
        chunks: vec![
            NewChunk {
                text: "alpha chunk".to_owned(),
                embedding: Some(vec![0.25, -1.5, f32::MIN_POSITIVE, 3.0e38]),
            },
            NewChunk {
                text: "beta chunk".to_owned(),
                embedding: Some(vec![1.0, 0.0, -0.0, 7.125]),
            },
            chunk("gamma chunk"),
        ],
    };
    let stored = ok(store.upsert_document(&first).await, "upsert_document");
    assert_eq!(stored.source, source);
    assert_eq!(stored.title, "Guide");
    assert_eq!(stored.body, "one two three");
    assert_eq!(stored.chunk_count, 3);
    assert_eq!(
        ok(store.find_document(&source).await, "find_document"),
        Some(stored.clone())
    );
    let chunks = ok(store.document_chunks(stored.id).await, "document_chunks");
    assert_eq!(chunks.len(), 3);
    for (i, (c, sent)) in chunks.iter().zip(&first.chunks).enumerate() {
        assert_eq!(c.ordinal, i as u32);
        assert_eq!(c.document_id, stored.id);
        assert_eq!(c.text, sent.text);
        let bits = |e: &Option<Vec<f32>>| {
            e.as_ref()
                .map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
        };
        assert_eq!(bits(&c.embedding), bits(&sent.embedding), "exact embedding");
    }

    tick().await;
    let second = NewDocument {
        title: "Guide, revised".to_owned(),
        body: "four".to_owned(),
        chunks: vec![chunk("delta chunk")],
        ..first.clone()
    };
    let replaced = ok(store.upsert_document(&second).await, "upsert again");
    assert_eq!(replaced.id, stored.id, "one source, one id");
    assert_eq!(replaced.created_at, stored.created_at);
    assert!(replaced.updated_at > stored.updated_at);
    assert_eq!(replaced.title, "Guide, revised");
    assert_eq!(replaced.chunk_count, 1);
    let chunks = ok(store.document_chunks(stored.id).await, "chunks after");
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].text, "delta chunk");
    assert_eq!(chunks[0].ordinal, 0);
    assert_eq!(chunks[0].embedding, None);

    // Replaced chunks are gone from the index too.
    let prefix = source.as_str();
    assert!(search_own(&*store, prefix, "alpha").await.is_empty());
    assert_eq!(
        sources(&search_own(&*store, prefix, "delta").await),
        [prefix]
    );

    // A document may have no chunks.
    let empty = ok(
        store
            .upsert_document(&NewDocument {
                chunks: Vec::new(),
                ..second
            })
            .await,
        "upsert with no chunks",
    );
    assert_eq!(empty.chunk_count, 0);
    assert!(ok(store.document_chunks(stored.id).await, "no chunks").is_empty());
    assert!(search_own(&*store, prefix, "delta").await.is_empty());
}

/// Unknown sources and ids; deleting removes the document and its chunks from search.
pub async fn find_and_delete_document<S>(store: Arc<S>)
where
    S: KnowledgeStore + ?Sized,
{
    let prefix = unique("kb");
    assert_eq!(ok(store.find_document(&prefix).await, "find unknown"), None);
    assert_not_found(
        store.document_chunks(unknown_id()).await,
        "chunks of unknown",
    );
    assert!(!ok(store.delete_document(&prefix).await, "delete unknown"));
    let [refunds, payouts, _] = library(&*store, &prefix).await;
    assert!(ok(store.delete_document(&refunds).await, "delete"));
    assert_eq!(
        ok(store.find_document(&refunds).await, "find deleted"),
        None
    );
    assert!(!ok(store.delete_document(&refunds).await, "delete twice"));
    assert!(
        search_own(&*store, &prefix, "refund").await.is_empty(),
        "a deleted document's chunks are not found"
    );
    assert_eq!(
        sources(&search_own(&*store, &prefix, "payouts").await),
        [payouts.as_str()]
    );
}

/// Search finds chunks containing any query word after stemming, best first: more of
/// the query's words rank higher; unrelated documents are not returned.
pub async fn search_ranks_matching_chunks<S>(store: Arc<S>)
where
    S: KnowledgeStore + ?Sized,
{
    let prefix = unique("kb");
    let [refunds, payouts, disputes] = library(&*store, &prefix).await;

    let hits = search_own(&*store, &prefix, "refunds").await;
    assert_eq!(
        sources(&hits),
        [refunds.as_str(), refunds.as_str()],
        "both refund chunks (refund, refunded, refunds stem alike)"
    );
    let first = &hits[0];
    assert_eq!(first.title, "Refunds");
    assert!(first.text.contains("refund"));

    let hits = search_own(&*store, &prefix, "late payouts").await;
    assert_eq!(sources(&hits), [payouts.as_str()]);
    assert_eq!(hits[0].ordinal, 0);

    // Any word matches: two topics at once.
    let hits = search_own(&*store, &prefix, "dispute refund").await;
    let mut found = sources(&hits);
    found.sort_unstable();
    found.dedup();
    let mut expected = vec![refunds.as_str(), disputes.as_str()];
    expected.sort_unstable();
    assert_eq!(found, expected);

    // The chunk with more of the words ranks first.
    let hits = search_own(&*store, &prefix, "refund rate revenue window").await;
    assert!(hits.len() >= 2);
    assert_eq!(hits[0].source, refunds);
    assert_eq!(hits[0].ordinal, 0, "the chunk holding all four words");

    // The limit keeps the best.
    let marker = unique("marker").replace('_', "");
    let source = format!("{prefix}/marker.md");
    ok(
        store
            .upsert_document(&doc(
                &source,
                "Marker",
                &[
                    &format!("{marker} {marker} {marker} once more {marker}"),
                    &format!("{marker} appears here just once among many other words"),
                ],
            ))
            .await,
        "upsert marker",
    );
    let top = ok(store.search_chunks(&marker, 1).await, "search limit 1");
    assert_eq!(top.len(), 1);
    assert_eq!(top[0].source, source);
    assert_eq!(top[0].ordinal, 0, "the denser chunk ranks first");
    assert_eq!(
        ok(store.search_chunks(&marker, 10).await, "search limit 10").len(),
        2
    );
    assert!(
        ok(store.search_chunks(&marker, 0).await, "limit 0").is_empty(),
        "limit 0 finds nothing"
    );
}

/// Query syntax of either backend is never interpreted: quotes, operators, prefixes,
/// column filters and SQL fragments are plain punctuation, and queries without words find
/// nothing. None of them is an error.
pub async fn search_neutralises_query_syntax<S>(store: Arc<S>)
where
    S: KnowledgeStore + ?Sized,
{
    let prefix = unique("kb");
    let [refunds, ..] = library(&*store, &prefix).await;
    let finds_refunds = [
        "refund\"",
        "\"refund",
        "NEAR(refund rate, 2)",
        "refund*",
        "-refund",
        "!refund",
        "refund OR",
        "AND refund",
        "NOT refund",
        "text:refund",
        "{text}: refund",
        "^refund",
        "refund & | ! <-> :*",
        "'refund'; DROP TABLE knowledge_chunks; --",
        "(refund",
        "refund)",
        "refund + rate",
        "\\refund\\",
        "refund\u{0}",
    ];
    for query in finds_refunds {
        let hits = match store.search_chunks(query, 1_000).await {
            Ok(hits) => hits,
            Err(e) => panic!("query {query:?} is an error: {e:?}"),
        };
        assert!(
            hits.iter().any(|h| h.source == refunds),
            "query {query:?} still finds the word `refund`"
        );
    }
    let finds_nothing = [
        "", "   ", "\"", "\"\"", "*", "-", "()", ":", "'", ";", "''", "%", "\0", "…",
    ];
    for query in finds_nothing {
        match store.search_chunks(query, 1_000).await {
            Ok(hits) => assert!(hits.is_empty(), "query {query:?} has no words: {hits:?}"),
            Err(e) => panic!("query {query:?} is an error: {e:?}"),
        }
    }
    // Words in other scripts are words too (found or not, never an error).
    for query in ["réfund ½ ∑", "返金", "𝔯𝔢𝔣𝔲𝔫𝔡", "e\u{301}"] {
        if let Err(e) = store.search_chunks(query, 10).await {
            panic!("query {query:?} is an error: {e:?}");
        }
    }
    // Every table is still there.
    assert!(ok(store.find_document(&refunds).await, "find").is_some());
}

/// Documents a store must refuse are `Invalid`, and nothing is written.
pub async fn upsert_document_validates<S>(store: Arc<S>)
where
    S: KnowledgeStore + ?Sized,
{
    let source = format!("{}/bad.md", unique("kb"));
    let good = doc(&source, "Bad", &["some text"]);
    let with = |f: &dyn Fn(&mut NewDocument)| {
        let mut d = good.clone();
        f(&mut d);
        d
    };
    let bad = [
        ("empty source", with(&|d| d.source = "  ".to_owned())),
        ("empty chunk", with(&|d| d.chunks.push(chunk(" ")))),
        ("NUL in text", with(&|d| d.chunks.push(chunk("a\0b")))),
        ("NUL in title", with(&|d| d.title = "a\0b".to_owned())),
        (
            "NaN in embedding",
            with(&|d| d.chunks[0].embedding = Some(vec![1.0, f32::NAN])),
        ),
        (
            "empty embedding",
            with(&|d| d.chunks[0].embedding = Some(Vec::new())),
        ),
        (
            "mixed dimensions",
            with(&|d| {
                d.chunks[0].embedding = Some(vec![1.0, 2.0]);
                d.chunks.push(NewChunk {
                    text: "more".to_owned(),
                    embedding: Some(vec![1.0, 2.0, 3.0]),
                });
            }),
        ),
    ];
    for (what, d) in bad {
        match store.upsert_document(&d).await {
            Err(Error::Invalid { .. }) => {}
            other => panic!("{what}: expected Err(Invalid), got {other:?}"),
        }
    }
    assert_eq!(ok(store.find_document(&source).await, "find"), None);
}

/// Concurrent upserts of one source leave one document holding exactly one version's
/// chunks, never a mix.
pub async fn concurrent_upserts_leave_one_version<S>(store: Arc<S>)
where
    S: KnowledgeStore + ?Sized,
{
    let source = format!("{}/race.md", unique("kb"));
    const WRITERS: usize = 4;
    let barrier = Arc::new(Barrier::new(WRITERS));
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let (store, barrier, source) = (store.clone(), barrier.clone(), source.clone());
        tasks.push(tokio::spawn(async move {
            let texts: Vec<String> = (0..5).map(|i| format!("version {w} part {i}")).collect();
            let d = NewDocument {
                source,
                title: format!("version {w}"),
                body: texts.join(" "),
                chunks: texts.iter().map(|t| chunk(t)).collect(),
            };
            barrier.wait().await;
            retry(|| store.upsert_document(&d)).await
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(ok(t.await.expect("task"), "concurrent upsert").id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one id for one source");
    let stored = ok(store.find_document(&source).await, "find").expect("the document exists");
    assert_eq!(stored.chunk_count, 5);
    let chunks = ok(store.document_chunks(stored.id).await, "chunks");
    let version = stored.title.trim_start_matches("version ").to_owned();
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!(
            c.text,
            format!("version {version} part {i}"),
            "chunks are the title's version"
        );
    }
}
