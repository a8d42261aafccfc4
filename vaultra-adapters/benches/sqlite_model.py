"""A model of the SQLite charge upsert, for trying pragmas and schema changes quickly.

The `charges` table and its indexes as in migrations/sqlite, 1 M charges with random
27-character Stripe ids upserted 10 000 per transaction (as `PaymentStore::ingest` pages
them), with the store's pragmas. Variants are words in the first argument, combined freely:
`ckptN` (wal_autocheckpoint = N pages), `sync0` (synchronous=OFF), `narrow` (time index on
(business_id, created) only), `noidx` (no time index), `worowid` (WITHOUT ROWID), `sorted`
(each page sorted by id), `pageN` (page_size = N bytes), `intbiz` (an integer business key instead of
the 16-byte UUID). Numbers are comparable with each other, not with the Rust
benchmark (Python's executemany adds its own per-row cost).

    python3 vaultra-adapters/benches/sqlite_model.py base 1000000
    python3 vaultra-adapters/benches/sqlite_model.py ckpt65536 1000000
"""
import sqlite3, os, random, string, time, sys, tempfile
variant = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
d = tempfile.mkdtemp(); path = os.path.join(d, 'x.db')
con = sqlite3.connect(path, isolation_level=None)
import re
m = re.search(r"page(\d+)", variant)
# page_size takes effect only before the database's first write (WAL mode included).
if m: con.execute(f"PRAGMA page_size={m.group(1)}")
for p in ["journal_mode=WAL","synchronous=NORMAL","cache_size=-262144","mmap_size=268435456","temp_store=memory","foreign_keys=ON"]:
    con.execute("PRAGMA "+p)
m = re.search(r"ckpt(\d+)", variant)
if m: con.execute(f"PRAGMA wal_autocheckpoint={m.group(1)}")
if 'sync0' in variant: con.execute("PRAGMA synchronous=OFF")
wr = " WITHOUT ROWID" if 'worowid' in variant else ""
con.execute("CREATE TABLE businesses (id %s PRIMARY KEY)" % ("INTEGER" if 'intbiz' in variant else "BLOB"))
con.execute(f"""CREATE TABLE charges (business_id BLOB NOT NULL REFERENCES businesses(id), stripe_id TEXT NOT NULL, account_id BLOB,
 created INTEGER NOT NULL, amount INTEGER NOT NULL, amount_refunded INTEGER NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL,
 captured INTEGER NOT NULL, raw TEXT, updated_at INTEGER NOT NULL, PRIMARY KEY (business_id, stripe_id)){wr}""")
if 'narrow' in variant:
    con.execute("CREATE INDEX charges_by_time ON charges(business_id, created)")
elif 'noidx' not in variant:
    con.execute("CREATE INDEX charges_by_time ON charges(business_id, created, amount, amount_refunded, currency, status, captured)")
b = 1 if 'intbiz' in variant else os.urandom(16)
con.execute("INSERT INTO businesses VALUES (?)", (b,))
rnd = random.Random(1)
alpha = string.ascii_letters + string.digits
rows = []
t0 = 1_760_000_000
for i in range(N):
    sid = "ch_3" + "".join(rnd.choice(alpha) for _ in range(23))
    rows.append((b, sid, None, t0 + i * 7, 1000 + i % 5000, 0, "usd", "succeeded", 1, None, 123))
sql = """INSERT INTO charges VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (business_id, stripe_id) DO UPDATE SET
 account_id = COALESCE(excluded.account_id, charges.account_id), created = excluded.created, amount = excluded.amount,
 amount_refunded = excluded.amount_refunded, currency = excluded.currency, status = excluded.status, captured = excluded.captured,
 raw = COALESCE(excluded.raw, charges.raw), updated_at = excluded.updated_at"""
start = time.time(); mark = start
for k in range(0, N, 10_000):
    page = rows[k:k+10_000]
    if 'sorted' in variant: page = sorted(page, key=lambda r: r[1])
    con.execute("BEGIN")
    con.executemany(sql, page)
    con.execute("COMMIT")
    if (k + 10_000) % 250_000 == 0:
        now = time.time(); print(f"  {k+10_000}: {250_000/(now-mark):.0f}/s", flush=True); mark = now
el = time.time() - start
print("  page_size", con.execute("PRAGMA page_size").fetchone()[0], "pages", con.execute("PRAGMA page_count").fetchone()[0])
print(variant, f"{N/el:.0f} rows/s", flush=True)
