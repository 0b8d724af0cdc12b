import Foundation
import GRDB
import SealboxLog

/// The store's schema as migrations; a shipped migration never changes, new ones are appended.
///
/// Everything personal is in `sealed` columns (XChaCha20-Poly1305 under the case data key, or sealed boxes to
/// group keys); the clear columns are workflow metadata only (DESIGN §1.1). See `docs/storage.md`.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "meta") { t in
                t.primaryKey("key", .text)
                t.column("value", .blob).notNull()
            }
            try db.create(table: "users") { t in
                t.primaryKey("id", .text)
                t.column("roles", .text).notNull()
                t.column("department", .text)
                t.column("box_public", .blob).notNull()
                t.column("sign_public", .blob).notNull()
                t.column("kdf", .text).notNull()
                t.column("sealed_secrets", .blob).notNull()
                t.column("certificate", .blob).notNull()
                t.column("disabled", .boolean).notNull().defaults(to: false)
                t.column("failed_unlocks", .integer).notNull().defaults(to: 0)
                t.column("locked_until", .integer)
            }
            try db.create(table: "key_groups") { t in
                t.primaryKey("id", .text)
                t.column("kind", .text).notNull()
                t.column("version", .integer).notNull()
                t.column("box_public", .blob).notNull()
                t.column("seal_public", .blob)
            }
            try db.create(table: "group_secrets") { t in
                t.column("group_id", .text).notNull().references("key_groups", onDelete: .cascade)
                t.column("holder", .text).notNull()  // a user id, or "#recovery"
                t.column("version", .integer).notNull()
                t.column("sealed_secret", .blob).notNull()
                t.column("sealed_seal_secret", .blob)
                t.primaryKey(["group_id", "holder"])
            }
            try db.create(table: "counters") { t in
                t.primaryKey("year", .integer)
                t.column("last", .integer).notNull()
            }
            try db.create(table: "cases") { t in
                t.primaryKey("number", .text)
                t.column("year", .integer).notNull()
                t.column("serial", .integer).notNull()
                t.column("channel", .text).notNull()
                t.column("received_at", .integer).notNull()
                t.column("registered_at", .integer).notNull()
                t.column("category", .text)
                t.column("priority", .text).notNull()
                t.column("status", .text).notNull()
                t.column("restricted", .boolean).notNull()
                t.column("lead_department", .text)
                t.column("deadline", .text)
                t.column("retention", .text).notNull()
                t.column("index_pending", .boolean).notNull()
                t.column("sealed_document", .blob).notNull()
                t.uniqueKey(["year", "serial"])
            }
            try db.create(table: "case_departments") { t in
                t.column("case_number", .text).notNull().references("cases", onDelete: .cascade)
                t.column("department", .text).notNull()
                t.primaryKey(["case_number", "department"])
            }
            try db.create(table: "case_keys") { t in
                t.column("case_number", .text).notNull().references("cases", onDelete: .cascade)
                t.column("group_id", .text).notNull().references("key_groups")
                t.column("group_version", .integer).notNull()
                t.column("sealed_key", .blob).notNull()
                t.primaryKey(["case_number", "group_id"])
            }
            try db.create(table: "blind_index") { t in
                t.column("case_number", .text).notNull().references("cases", onDelete: .cascade)
                t.column("kind", .text).notNull()
                t.column("tag", .blob).notNull()
                t.primaryKey(["case_number", "kind", "tag"])
            }
            try db.create(index: "blind_index_lookup", on: "blind_index", columns: ["kind", "tag"])
            try db.create(table: "events") { t in
                t.autoIncrementedPrimaryKey("sequence")
                t.column("case_number", .text)
                t.column("kind", .text).notNull()
                t.column("actor", .text).notNull()
                t.column("at", .integer).notNull()
                t.column("details", .text).notNull()
            }
        }
        migrator.registerMigration("v2-attachments") { db in
            // Attachment bytes, each sealed under the case key with associated data binding case and index.
            try db.create(table: "case_attachments") { t in
                t.column("case_number", .text).notNull().references("cases", onDelete: .cascade)
                t.column("position", .integer).notNull()
                t.column("byte_count", .integer).notNull()
                t.column("sealed_bytes", .blob).notNull()
                t.primaryKey(["case_number", "position"])
            }
        }
        migrator.registerMigration("v3-log") { db in
            // The log: each event's RFC 9162 leaf hash, and the checkpoints signed after each command.
            try db.alter(table: "events") { t in t.add(column: "leaf_hash", .blob) }
            try db.create(table: "checkpoints") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("size", .integer).notNull()
                t.column("signer", .text).notNull()
                t.column("note", .text).notNull()
            }
            // Events written before this migration become the first leaves.
            var frontier = MerkleFrontier()
            for row in try Row.fetchAll(db, sql: "SELECT * FROM events ORDER BY sequence") {
                let event = LoggedEvent(row: row)
                let leaf = Merkle.leafHash(Array(event.leafText.utf8))
                try db.execute(
                    sql: "UPDATE events SET leaf_hash = ? WHERE sequence = ?", arguments: [Data(leaf), event.sequence])
                frontier.append(leaf)
            }
            try Store.setMeta(db, "log_frontier", frontier.encoded)
        }
        migrator.registerMigration("v4-tracking") { db in
            // Tracking metadata in clear (no personal data), so tracking opens no case.
            try db.alter(table: "cases") { t in
                t.add(column: "sign_for_due", .text)
                t.add(column: "lead_signed_for", .boolean).notNull().defaults(to: false)
                t.add(column: "last_progress", .text)
                t.add(column: "supervised", .boolean).notNull().defaults(to: false)
            }
            try db.create(index: "cases_status", on: "cases", columns: ["status"])
        }
        migrator.registerMigration("v5-archive") { db in
            // Archive packages in chain order: a sequence without gaps and each package's tag-manifest digest.
            try db.create(table: "archive_packages") { t in
                t.primaryKey("sequence", .integer)
                t.column("case_number", .text).notNull().unique().references("cases")
                t.column("tag_digest", .text).notNull()
                t.column("file_name", .text).notNull()
                t.column("created_at", .integer).notNull()
            }
        }
        migrator.registerMigration("v6-key-envelopes") { db in
            // Bulk registration seals one wrap key per batch to the group (one X25519 operation, as HPKE does
            // for many messages to one recipient) and wraps each case key under it. A case key row names its
            // envelope; a row without one is a sealed box to the group as before.
            try db.create(table: "key_envelopes") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("group_id", .text).notNull().references("key_groups")
                t.column("group_version", .integer).notNull()
                t.column("sealed_wrap_key", .blob).notNull()
            }
            try db.alter(table: "case_keys") { t in
                t.add(column: "envelope_id", .integer).references("key_envelopes")
            }
        }
        migrator.registerMigration("v7-events-by-case") { db in
            // A case's history (archive export, `case show`) without scanning the whole log.
            try db.create(index: "events_case", on: "events", columns: ["case_number", "sequence"])
        }
        migrator.registerMigration("v8-attachment-chunks") { db in
            // Attachments in sealed 64 KiB chunks, so that no step holds a whole attachment in memory. An
            // attachment with a chunk count keeps its bytes here (its `sealed_bytes` is empty); one without (v2)
            // is still one sealed blob.
            try db.alter(table: "case_attachments") { t in t.add(column: "chunk_count", .integer) }
            try db.create(table: "attachment_chunks") { t in
                t.column("case_number", .text).notNull()
                t.column("position", .integer).notNull()
                t.column("chunk", .integer).notNull()
                t.column("sealed", .blob).notNull()
                t.primaryKey(["case_number", "position", "chunk"])
                t.foreignKey(["case_number", "position"], references: "case_attachments", onDelete: .cascade)
            }
        }
        migrator.registerMigration("v9-intake") { db in
            // Intake: the citizen's query code (a hash only), the sources already taken in (idempotent re-runs),
            // and messages that could not be taken in, sealed to the office, never dropped.
            try db.alter(table: "cases") { t in t.add(column: "query_hash", .blob) }
            try db.create(table: "intake_receipts") { t in
                t.primaryKey("key_hash", .blob)
                t.column("case_number", .text).notNull().references("cases")
                t.column("channel", .text).notNull()
            }
            try db.create(table: "quarantine") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("source_hash", .blob).notNull().unique()
                t.column("channel", .text).notNull()
                t.column("reason", .text).notNull()
                t.column("received_at", .integer).notNull()
                t.column("sealed_key", .blob).notNull()
                t.column("sealed_bytes", .blob).notNull()
            }
        }
        migrator.registerMigration("v10-report-facts") { db in
            // Assessment facts in clear (no personal data), so reports open no case. Rows written before this
            // migration have facts_version 0 until `sealbox report refresh` (an office holder) fills them.
            try db.alter(table: "cases") { t in
                t.add(column: "facts_version", .integer).notNull().defaults(to: 0)
                t.add(column: "facts_department", .text)
                t.add(column: "facts_assigned_on", .text)
                t.add(column: "facts_first_assigned_on", .text)
                t.add(column: "facts_deadline", .text)
                t.add(column: "facts_completed_on", .text)
                t.add(column: "facts_first_review", .boolean)
                t.add(column: "facts_returns", .integer)
                t.add(column: "facts_supervisions", .text)
                t.add(column: "facts_satisfaction", .text)
            }
        }
        migrator.registerMigration("v11-citizen-reply") { db in
            // The citizen's copy of the reply: sealed to a key pair derived from the number and the query code
            // (public half kept at intake), so that only the code holder opens it; the intake host cannot.
            try db.alter(table: "cases") { t in
                t.add(column: "citizen_box", .blob)
                t.add(column: "citizen_reply", .blob)
            }
        }
        migrator.registerMigration("v12-attachment-age-payload") { db in
            // Attachments stored as age payloads: each under a file key of its own (sealed here under the case key),
            // its chunks age's STREAM chunks, so that the export writes an age header before the stored bytes
            // instead of decrypting and encrypting them again. An attachment without one keeps the v8 (or v2) form.
            try db.alter(table: "case_attachments") { t in t.add(column: "sealed_file_key", .blob) }
        }
        migrator.registerMigration("v13-log-subtrees") { db in
            // The log's perfect subtrees of `Store.keptSubtreeLevel` and up, kept as they complete, so that a
            // proof reads O(log n) rows instead of every leaf hash (an export held the whole tree in memory: ~160
            // bytes an event). Filled here from the leaves already logged.
            try db.create(table: "log_subtrees", options: .withoutRowID) { t in
                t.column("level", .integer).notNull()
                t.column("idx", .integer).notNull()
                t.column("hash", .blob).notNull()
                t.primaryKey(["level", "idx"])
            }
            var frontier = MerkleFrontier()
            let leaves = try Row.fetchCursor(db, sql: "SELECT leaf_hash FROM events ORDER BY sequence")
            while let row = try leaves.next() {
                try frontier.append(Array((row[0] as Data?) ?? Data())) { try Store.keepSubtree(db, $0, $1, $2) }
            }
        }
        migrator.registerMigration("v14-archive-disposal") { db in
            // A package disposed of after its retention ended keeps its row (the chain's numbering and links) with
            // the time of its disposal; a signed disposal record stands in its place in the folder.
            try db.alter(table: "archive_packages") { t in t.add(column: "disposed_at", .integer) }
        }
        return migrator
    }
}
