//! Knowledge documents and full-text search over their chunks, shared by both backends.
//!
//! Everything but the search statement is common. The search differs per backend and is
//! a [`Dialect`] item: the statement ([`Dialect::SEARCH`]: `$1` the backend's query text,
//! `$2` the limit) and the function that turns [`search_terms`] into that query text
//! ([`Dialect::search_query`]). The terms are letters and digits only, so the query
//! languages (FTS5's `MATCH`, PostgreSQL's `websearch_to_tsquery`) never see an operator
//! a user typed.

use sqlx::{ColumnIndex, Executor, IntoArguments, QueryBuilder, Row};
use uuid::Uuid;
use vaultra_core::ports::storage::{
    ChunkHit, KnowledgeChunk, KnowledgeDocument, NewChunk, NewDocument, search_terms,
};
use vaultra_core::{Error, Result};

use super::conversations::no_nul;
use super::dialect::{Args, Bind, Conn, Db, Dialect, Get, RowOf, RowsAffected, SqlStore};
use crate::sql::{self, map_err, not_found};

/// Rows per multi-row chunk insert (five parameters each).
pub(crate) const CHUNK_ROWS: usize = 500;

/// SQLite: FTS5 ranks with `bm25()`, lower is better, so the rank is its negation
/// (FTS5 keeps every term's weight above zero, so a match's rank is positive).
#[cfg(feature = "sqlite")]
pub(crate) const SQLITE_SEARCH: &str = "
    SELECT c.id AS chunk_id, c.document_id AS document_id, d.source AS source,
           d.title AS title, c.ordinal AS ordinal, c.text AS text,
           -bm25(knowledge_chunks_fts) AS score
      FROM knowledge_chunks_fts
      JOIN knowledge_chunks c ON c.rowid = knowledge_chunks_fts.rowid
      JOIN knowledge_documents d ON d.id = c.document_id
     WHERE knowledge_chunks_fts MATCH $1
     ORDER BY score DESC, c.id
     LIMIT $2";

/// PostgreSQL: the generated `tsv` column (English configuration) with its GIN index,
/// ranked by `ts_rank`.
#[cfg(feature = "postgres")]
pub(crate) const POSTGRES_SEARCH: &str = "
    SELECT c.id AS chunk_id, c.document_id AS document_id, d.source AS source,
           d.title AS title, c.ordinal AS ordinal, c.text AS text,
           CAST(ts_rank(c.tsv, q.query) AS DOUBLE PRECISION) AS score
      FROM websearch_to_tsquery('english', $1) AS q(query)
      JOIN knowledge_chunks c ON c.tsv @@ q.query
      JOIN knowledge_documents d ON d.id = c.document_id
     ORDER BY score DESC, c.id
     LIMIT $2";

/// FTS5: every term a quoted string (so `AND`, `NEAR`, `*`, `^`, `col:` are plain words),
/// any of them matching.
#[cfg(feature = "sqlite")]
pub(crate) fn fts5_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// `websearch_to_tsquery` never raises a syntax error; `or` between plain words makes any
/// of them match. The word `or` itself is an English stop word and would be read as the
/// operator, so it is left out.
#[cfg(feature = "postgres")]
pub(crate) fn websearch_query(terms: &[String]) -> String {
    terms
        .iter()
        .filter(|t| t.as_str() != "or")
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Checks a document before any write (see `KnowledgeStore::upsert_document`).
pub(crate) fn validate_document(doc: &NewDocument) -> Result<(), Error> {
    if doc.source.trim().is_empty() {
        return Err(Error::invalid("source", "must not be empty"));
    }
    no_nul("source", &doc.source)?;
    no_nul("title", &doc.title)?;
    no_nul("body", &doc.body)?;
    let mut dims: Option<usize> = None;
    for (i, chunk) in doc.chunks.iter().enumerate() {
        let context = || format!("document {}: chunk {i}", doc.source);
        if chunk.text.trim().is_empty() {
            return Err(Error::invalid("text", "must not be empty").in_context(context()));
        }
        no_nul("text", &chunk.text).map_err(|e| e.in_context(context()))?;
        if let Some(e) = &chunk.embedding {
            if e.is_empty() {
                return Err(Error::invalid("embedding", "must not be empty").in_context(context()));
            }
            if e.iter().any(|v| !v.is_finite()) {
                return Err(
                    Error::invalid("embedding", "holds a value that is not finite")
                        .in_context(context()),
                );
            }
            match dims {
                Some(d) if d != e.len() => {
                    return Err(Error::invalid(
                        "embedding",
                        format!("has {} dimensions, an earlier chunk {d}", e.len()),
                    )
                    .in_context(context()));
                }
                _ => dims = Some(e.len()),
            }
        }
    }
    Ok(())
}

/// An embedding as stored: little-endian `f32`s, exact.
pub(crate) fn embedding_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The stored bytes back as an embedding.
pub(crate) fn embedding_from(bytes: &[u8]) -> Result<Vec<f32>, Error> {
    if !bytes.len().is_multiple_of(4) {
        return Err(super::corrupt(
            "embedding",
            format!("{} bytes is not a whole number of f32s", bytes.len()),
        ));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

const DOCUMENT_SELECT: &str = "SELECT d.id AS id, d.source AS source, \
     d.title AS title, d.body AS body, d.created_at AS created_at, \
     d.updated_at AS updated_at, \
     (SELECT COUNT(*) FROM knowledge_chunks c WHERE c.document_id = d.id) \
     AS chunk_count FROM knowledge_documents d";

// The `where` clause lists what the statements below bind and read (see `dialect.rs`);
// each `pub(crate)` method implements the port's method of the same name.
impl<D: Dialect> SqlStore<'_, D>
where
    for<'c> &'c mut Conn<D>: Executor<'c, Database = Db<D>>,
    Args<D>: IntoArguments<Db<D>>,
    for<'a> &'a str: ColumnIndex<RowOf<D>> + Bind<'a, Db<D>>,
    usize: ColumnIndex<RowOf<D>>,
    for<'q> Uuid: Bind<'q, Db<D>> + Get<'q, Db<D>>,
    for<'q> String: Bind<'q, Db<D>> + Get<'q, Db<D>>,
    for<'q> Option<Vec<u8>>: Bind<'q, Db<D>>,
    for<'r> Vec<u8>: Get<'r, Db<D>>,
    for<'q> i64: Bind<'q, Db<D>> + Get<'q, Db<D>>,
    for<'q> i32: Bind<'q, Db<D>> + Get<'q, Db<D>>,
    for<'r> f64: Get<'r, Db<D>>,
{
    fn document_from(row: &RowOf<D>) -> Result<KnowledgeDocument> {
        let get = map_err("knowledge document");
        let count: i64 = row.try_get("chunk_count").map_err(&get)?;
        Ok(KnowledgeDocument {
            id: row.try_get("id").map_err(&get)?,
            source: row.try_get("source").map_err(&get)?,
            title: row.try_get("title").map_err(&get)?,
            body: row.try_get("body").map_err(&get)?,
            chunk_count: u32::try_from(count).map_err(|_| sql::corrupt("chunk count", count))?,
            created_at: D::from_ts(row.try_get("created_at").map_err(&get)?)?,
            updated_at: D::from_ts(row.try_get("updated_at").map_err(&get)?)?,
        })
    }

    fn ordinal(row: &RowOf<D>) -> Result<u32> {
        let v: i32 = row.try_get("ordinal").map_err(map_err("knowledge chunk"))?;
        u32::try_from(v).map_err(|_| sql::corrupt("chunk ordinal", v))
    }

    pub(crate) async fn upsert_document(&self, doc: &NewDocument) -> Result<KnowledgeDocument> {
        validate_document(doc)?;
        let ordinals = i32::try_from(doc.chunks.len())
            .map_err(|_| Error::invalid("chunks", "too many chunks"))?;
        let now = D::ts(self.now());
        let mut tx = self
            .write_tx()
            .await
            .map_err(map_err("knowledge document"))?;
        // The upsert locks the document's row, so a concurrent upsert of the same
        // source waits here and then replaces this one's chunks whole.
        let id: Uuid = sqlx::query_scalar(
            "INSERT INTO knowledge_documents (id, source, title, body, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (source) DO UPDATE SET title = excluded.title,
                 body = excluded.body, updated_at = excluded.updated_at
             RETURNING id",
        )
        .bind(Uuid::new_v4())
        .bind(&doc.source)
        .bind(&doc.title)
        .bind(&doc.body)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err("knowledge document"))?;
        sqlx::query("DELETE FROM knowledge_chunks WHERE document_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err("knowledge chunk"))?;
        let rows: Vec<(i32, &NewChunk)> = (0..ordinals).zip(&doc.chunks).collect();
        for part in rows.chunks(CHUNK_ROWS) {
            let mut q = QueryBuilder::<Db<D>>::new(
                "INSERT INTO knowledge_chunks (id, document_id, ordinal, text, embedding) ",
            );
            q.push_values(part, |mut b, (ordinal, chunk)| {
                b.push_bind(Uuid::new_v4())
                    .push_bind(id)
                    .push_bind(*ordinal)
                    .push_bind(chunk.text.as_str())
                    .push_bind(chunk.embedding.as_deref().map(embedding_bytes));
            });
            q.build()
                .execute(&mut *tx)
                .await
                .map_err(map_err("knowledge chunk"))?;
        }
        let row = sqlx::query(sql!("{DOCUMENT_SELECT} WHERE d.id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(super::map_err_id("knowledge document", id))?;
        let stored = Self::document_from(&row)?;
        tx.commit().await.map_err(map_err("knowledge document"))?;
        Ok(stored)
    }

    pub(crate) async fn find_document(&self, source: &str) -> Result<Option<KnowledgeDocument>> {
        sqlx::query(sql!("{DOCUMENT_SELECT} WHERE d.source = $1"))
            .bind(source)
            .fetch_optional(self.pool)
            .await
            .map_err(map_err("knowledge document"))?
            .as_ref()
            .map(Self::document_from)
            .transpose()
    }

    pub(crate) async fn document_chunks(&self, document: Uuid) -> Result<Vec<KnowledgeChunk>> {
        let rows = sqlx::query(
            "SELECT id, document_id, ordinal, text, embedding FROM knowledge_chunks
             WHERE document_id = $1 ORDER BY ordinal",
        )
        .bind(document)
        .fetch_all(self.pool)
        .await
        .map_err(map_err("knowledge chunk"))?;
        if rows.is_empty() {
            let exists = sqlx::query("SELECT 1 FROM knowledge_documents WHERE id = $1")
                .bind(document)
                .fetch_optional(self.pool)
                .await
                .map_err(map_err("knowledge document"))?;
            if exists.is_none() {
                return Err(not_found("knowledge document", document));
            }
        }
        let get = map_err("knowledge chunk");
        rows.iter()
            .map(|row| {
                let embedding: Option<Vec<u8>> = row.try_get("embedding").map_err(&get)?;
                Ok(KnowledgeChunk {
                    id: row.try_get("id").map_err(&get)?,
                    document_id: row.try_get("document_id").map_err(&get)?,
                    ordinal: Self::ordinal(row)?,
                    text: row.try_get("text").map_err(&get)?,
                    embedding: embedding.as_deref().map(embedding_from).transpose()?,
                })
            })
            .collect()
    }

    pub(crate) async fn delete_document(&self, source: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM knowledge_documents WHERE source = $1")
            .bind(source)
            .execute(self.pool)
            .await
            .map_err(map_err("knowledge document"))?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn search_chunks(&self, query: &str, limit: u32) -> Result<Vec<ChunkHit>> {
        let terms = search_terms(query);
        let text: String = D::search_query(&terms);
        if text.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(D::SEARCH)
            .bind(text)
            .bind(sql::limit(limit))
            .fetch_all(self.pool)
            .await
            .map_err(map_err("knowledge search"))?;
        let get = map_err("knowledge search");
        rows.iter()
            .map(|row| {
                Ok(ChunkHit {
                    chunk_id: row.try_get("chunk_id").map_err(&get)?,
                    document_id: row.try_get("document_id").map_err(&get)?,
                    source: row.try_get("source").map_err(&get)?,
                    title: row.try_get("title").map_err(&get)?,
                    ordinal: Self::ordinal(row)?,
                    text: row.try_get("text").map_err(&get)?,
                    rank: row.try_get("score").map_err(&get)?,
                })
            })
            .collect()
    }
}
