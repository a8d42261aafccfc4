//! The contract of [`ConversationStore`].

use std::sync::Arc;

use serde_json::json;
use tokio::sync::Barrier;

use super::support::{
    assert_not_found, new_business, new_user, ok, owner_and_business, retry, tick, unknown_id,
};
use crate::Error;
use crate::ports::storage::{
    BusinessStore, Citation, ConversationStore, MessageRole, NewMessage, UserStore,
};

fn message(role: MessageRole, content: &str) -> NewMessage {
    NewMessage::text(role, content)
}

/// A conversation is created for a user and business, read back by id, and starts with
/// no messages.
pub async fn create_and_get_conversation<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + ConversationStore + ?Sized,
{
    let (owner, business) = owner_and_business(&*store).await;
    let created = ok(
        store
            .create_conversation(owner.id, business.id, Some("Why did my score drop?"))
            .await,
        "create_conversation",
    );
    assert_eq!(created.user_id, owner.id);
    assert_eq!(created.business_id, business.id);
    assert_eq!(created.title.as_deref(), Some("Why did my score drop?"));
    assert_eq!(created.created_at, created.updated_at);
    let read = ok(store.get_conversation(created.id).await, "get_conversation");
    assert_eq!(read, created);
    let untitled = ok(
        store.create_conversation(owner.id, business.id, None).await,
        "create untitled",
    );
    assert_eq!(untitled.title, None);
    assert_ne!(untitled.id, created.id);
    assert!(
        ok(store.messages(created.id).await, "messages").is_empty(),
        "a new conversation has no messages"
    );
}

/// Unknown users, businesses and conversations are `NotFound` everywhere.
pub async fn conversation_of_unknown_user_or_business_is_not_found<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + ConversationStore + ?Sized,
{
    let (owner, business) = owner_and_business(&*store).await;
    assert_not_found(
        store
            .create_conversation(unknown_id(), business.id, None)
            .await,
        "unknown user",
    );
    assert_not_found(
        store
            .create_conversation(owner.id, unknown_id(), None)
            .await,
        "unknown business",
    );
    assert_not_found(store.get_conversation(unknown_id()).await, "get unknown");
    assert_not_found(store.messages(unknown_id()).await, "messages of unknown");
    assert_not_found(
        store
            .append_message(unknown_id(), &message(MessageRole::User, "hello"))
            .await,
        "append to unknown",
    );
    assert!(
        ok(
            store.conversations_of(owner.id, business.id, 10).await,
            "conversations_of"
        )
        .is_empty(),
        "nothing was created by the failed calls"
    );
}

/// Messages come back in append order with positions 1, 2, 3, …, every role and the
/// tool-call JSON intact; appending moves the conversation's `updated_at`.
pub async fn messages_round_trip_in_order<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + ConversationStore + ?Sized,
{
    let (owner, business) = owner_and_business(&*store).await;
    let conversation = ok(
        store.create_conversation(owner.id, business.id, None).await,
        "create",
    );
    let call = json!({
        "id": "call_1",
        "name": "get_metrics",
        "arguments": { "window_days": 30, "note": "naïve ✓ \"quoted\"" }
    });
    let sent = vec![
        message(MessageRole::System, "You explain funding readiness."),
        message(MessageRole::User, "How is my refund rate?"),
        NewMessage {
            tool_call: Some(call.clone()),
            ..message(MessageRole::Assistant, "")
        },
        NewMessage {
            tool_call: Some(json!({ "id": "call_1" })),
            ..message(MessageRole::Tool, "{\"refund_rate\": \"0.8%\"}")
        },
        NewMessage {
            citations: vec![
                Citation {
                    document_id: uuid::Uuid::new_v4(),
                    chunk_id: uuid::Uuid::new_v4(),
                    source: "guides/refunds.md".to_owned(),
                    title: "Refunds — what lenders see".to_owned(),
                    ordinal: 2,
                },
                Citation {
                    document_id: uuid::Uuid::new_v4(),
                    chunk_id: uuid::Uuid::new_v4(),
                    source: "guides/\"quoted\" naïve.md".to_owned(),
                    title: String::new(),
                    ordinal: 0,
                },
            ],
            tools_used: vec![
                "get_metric_summary".to_owned(),
                "get_readiness_breakdown".to_owned(),
                "get_metric_summary".to_owned(),
            ],
            ..message(
                MessageRole::Assistant,
                "Your refund rate is 0.8 %: healthy.",
            )
        },
    ];
    let mut appended = Vec::new();
    for m in &sent {
        tick().await;
        appended.push(ok(
            store.append_message(conversation.id, m).await,
            "append_message",
        ));
    }
    let read = ok(store.messages(conversation.id).await, "messages");
    assert_eq!(read, appended, "messages read back as appended");
    for (i, (stored, m)) in read.iter().zip(&sent).enumerate() {
        assert_eq!(stored.seq, i as u32 + 1, "positions are 1, 2, 3, …");
        assert_eq!(stored.conversation_id, conversation.id);
        assert_eq!(stored.role, m.role);
        assert_eq!(stored.content, m.content);
        assert_eq!(stored.tool_call, m.tool_call);
        assert_eq!(stored.citations, m.citations, "citations kept in order");
        assert_eq!(stored.tools_used, m.tools_used, "tools kept in call order");
    }
    assert!(
        read.windows(2).all(|w| w[0].created_at <= w[1].created_at),
        "created_at follows seq"
    );
    let after = ok(store.get_conversation(conversation.id).await, "get");
    assert_eq!(after.created_at, conversation.created_at);
    assert_eq!(
        after.updated_at,
        read.last().unwrap().created_at,
        "updated_at is the last append"
    );
    assert!(after.updated_at > conversation.updated_at);
}

/// `conversations_of` lists one user's conversations about one business, most recently
/// active first, up to the limit; other users and businesses are not included.
pub async fn conversations_of_lists_most_recent_first<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + ConversationStore + ?Sized,
{
    let (owner, business) = owner_and_business(&*store).await;
    let other_business = new_business(&*store, owner.id, "Other Co").await;
    let member = new_user(&*store).await;
    let mut ids = Vec::new();
    for title in ["first", "second", "third"] {
        tick().await;
        ids.push(
            ok(
                store
                    .create_conversation(owner.id, business.id, Some(title))
                    .await,
                "create",
            )
            .id,
        );
    }
    ok(
        store
            .create_conversation(owner.id, other_business.id, Some("elsewhere"))
            .await,
        "create for another business",
    );
    ok(
        store
            .create_conversation(member.id, business.id, Some("someone else"))
            .await,
        "create for another user",
    );
    let listed: Vec<_> = ok(
        store.conversations_of(owner.id, business.id, 10).await,
        "conversations_of",
    )
    .into_iter()
    .map(|c| c.id)
    .collect();
    assert_eq!(listed, vec![ids[2], ids[1], ids[0]], "newest first");

    // A message makes the oldest conversation the most recently active.
    tick().await;
    ok(
        store
            .append_message(ids[0], &message(MessageRole::User, "back again"))
            .await,
        "append",
    );
    let listed: Vec<_> = ok(
        store.conversations_of(owner.id, business.id, 2).await,
        "conversations_of with a limit",
    )
    .into_iter()
    .map(|c| c.id)
    .collect();
    assert_eq!(listed, vec![ids[0], ids[2]], "activity first, limit kept");
    assert!(
        ok(
            store.conversations_of(owner.id, business.id, 0).await,
            "limit 0"
        )
        .is_empty()
    );
}

/// Text a store cannot hold (a NUL character) is `Invalid` and writes nothing.
pub async fn append_refuses_nul_and_writes_nothing<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + ConversationStore + ?Sized,
{
    let (owner, business) = owner_and_business(&*store).await;
    let conversation = ok(
        store.create_conversation(owner.id, business.id, None).await,
        "create",
    );
    let bad = store
        .append_message(conversation.id, &message(MessageRole::User, "a\0b"))
        .await;
    assert!(
        matches!(bad, Err(Error::Invalid { .. })),
        "NUL in content: {bad:?}"
    );
    let bad_call = store
        .append_message(
            conversation.id,
            &NewMessage {
                tool_call: Some(json!({ "arguments": "a\u{0}b" })),
                ..message(MessageRole::Assistant, "")
            },
        )
        .await;
    assert!(
        matches!(bad_call, Err(Error::Invalid { .. })),
        "NUL in tool call: {bad_call:?}"
    );
    let citation = Citation {
        document_id: uuid::Uuid::new_v4(),
        chunk_id: uuid::Uuid::new_v4(),
        source: "guides/a\0b.md".to_owned(),
        title: "T".to_owned(),
        ordinal: 0,
    };
    let bad_citation = store
        .append_message(
            conversation.id,
            &NewMessage {
                citations: vec![citation],
                ..message(MessageRole::Assistant, "see the guide")
            },
        )
        .await;
    match &bad_citation {
        Err(Error::Invalid { input: e, .. }) => {
            assert_eq!(e.field.as_deref(), Some("citations[0].source"))
        }
        other => panic!("NUL in a citation: {other:?}"),
    }
    for (tool, what) in [("get_\0metrics", "NUL"), ("  ", "blank")] {
        let bad_tool = store
            .append_message(
                conversation.id,
                &NewMessage {
                    tools_used: vec!["get_metric_summary".to_owned(), tool.to_owned()],
                    ..message(MessageRole::Assistant, "answer")
                },
            )
            .await;
        match &bad_tool {
            Err(Error::Invalid { input: e, .. }) => {
                assert_eq!(e.field.as_deref(), Some("tools_used[1]"))
            }
            other => panic!("{what} tool name: {other:?}"),
        }
    }
    assert!(ok(store.messages(conversation.id).await, "messages").is_empty());
    let next = ok(
        store
            .append_message(conversation.id, &message(MessageRole::User, "fine"))
            .await,
        "append after refusals",
    );
    assert_eq!(next.seq, 1, "refused messages took no position");
}

/// Concurrent appends to one conversation all succeed with distinct, gap-free positions.
pub async fn concurrent_appends_get_distinct_positions<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + ConversationStore + ?Sized,
{
    let (owner, business) = owner_and_business(&*store).await;
    let conversation = ok(
        store.create_conversation(owner.id, business.id, None).await,
        "create",
    );
    const WRITERS: usize = 8;
    let barrier = Arc::new(Barrier::new(WRITERS));
    let mut tasks = Vec::new();
    for i in 0..WRITERS {
        let (store, barrier) = (store.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let m = message(MessageRole::User, &format!("message {i}"));
            retry(|| store.append_message(conversation.id, &m)).await
        }));
    }
    for t in tasks {
        ok(t.await.expect("task"), "concurrent append");
    }
    let read = ok(store.messages(conversation.id).await, "messages");
    let seqs: Vec<u32> = read.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (1..=WRITERS as u32).collect::<Vec<_>>());
    let mut contents: Vec<&str> = read.iter().map(|m| m.content.as_str()).collect();
    contents.sort_unstable();
    contents.dedup();
    assert_eq!(contents.len(), WRITERS, "every message stored once");
}
