import AgentPool

/// The server-rendered pages. Every value from the store goes through ``HTML/escape(_:)``; the
/// only script is `/console.js` (the Content-Security-Policy allows no other).
enum Pages {
    static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
        header{background:#1f2937;color:#fff;padding:.6em 1em}header a{color:#fff;text-decoration:none;font-weight:600}
        main{padding:1em;max-width:1200px}table{border-collapse:collapse;margin:.3em 0 1em;width:100%;background:#fff}
        th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}th{background:#f0f0f0}
        h2{font-size:1.05em;margin:1.2em 0 .3em}.muted{color:#777}.thread{background:#fff;border:1px solid #ddd;margin:.4em 0;padding:.4em .6em}
        .reply{margin-left:1.5em;border-left:3px solid #cbd5e1;padding-left:.6em}.status{font-size:.85em;padding:0 .4em;border-radius:3px;background:#e5e7eb}
        .body{font-family:ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}#live{float:right;font-size:.85em}
        pre{background:#fff;border:1px solid #ddd;padding:.6em;overflow:auto}
        """

    /// A whole page around `body`.
    static func layout(title: String, _ body: String) -> String {
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(HTML.escape(title)) · agentpool</title>
        <meta name="viewport" content="width=device-width,initial-scale=1"><style>\(style)</style></head>
        <body><header><a href="/">agentpool</a> <span class="muted">console</span></header><main>\(body)</main>
        <script src="/console.js"></script></body></html>
        """
    }

    /// The login form; `next` is where a successful login goes.
    static func login(next: String, failed: Bool) -> String {
        layout(title: "log in", """
            <h1>Log in</h1><p>This console needs its token (the one <code>agentpool serve</code> was started with).</p>
            \(failed ? "<p id=\"login-failed\"><strong>Wrong token.</strong></p>" : "")
            <form method="post" action="/login"><input type="hidden" name="next" value="\(HTML.escape(next))">
            <input type="password" name="token" autocomplete="current-password" autofocus> <button type="submit">Log in</button></form>
            """)
    }

    /// The pools list.
    static func pools(_ pools: [PoolSummary]) -> String {
        let rows = pools.map { pool in
            "<tr><td><a href=\"/pools/\(HTML.pathComponent(pool.poolID))\">\(HTML.escape(pool.poolID))</a></td><td>\(pool.lastSeq)</td><td>\(pool.memberCount)</td><td>\(pool.messageCount)</td></tr>"
        }.joined()
        return layout(title: "pools", """
            <h1>Pools</h1><table id="pools"><tr><th>pool</th><th>last seq</th><th>members</th><th>messages</th></tr>\(rows)</table>
            \(pools.isEmpty ? "<p class=\"muted\">No pools in this store.</p>" : "")
            """)
    }

    /// The pool page: its sections, refreshed by the script when the stream reports a record.
    static func pool(_ view: PoolView) -> String {
        layout(title: view.poolID, """
            <h1>Pool <span id="pool-id">\(HTML.escape(view.poolID))</span> <span id="live" class="muted">connecting…</span></h1>
            <div id="pool" data-pool="\(HTML.escape(view.poolID))" data-cursor="\(view.cursor)" data-page="\(view.page)">\(sections(view))</div>
            """)
    }

    /// The live part of the pool page (also served alone, for the script to swap in).
    static func sections(_ view: PoolView) -> String {
        let poolPath = "/pools/\(HTML.pathComponent(view.poolID))"
        var html = "<div id=\"sections\" data-now=\"\(view.now)\" data-cursor=\"\(view.cursor)\">"
        html += "<p class=\"muted\">cursor <span id=\"cursor\">\(view.cursor)</span></p>"

        html += "<h2>Members (\(view.members.count))</h2><table id=\"members\"><tr><th>run</th><th>agent</th><th>topics</th><th>lease</th></tr>"
        for row in view.members {
            let lease = row.lease.map { "<span class=\"countdown\" data-expires-at=\"\($0.expiresAt)\">\(max(0, ($0.expiresAt - view.now) / 1000)) s</span> of \($0.leaseMillis / 1000) s" } ?? "<span class=\"muted\">none</span>"
            html += "<tr><td>\(HTML.escape(row.member.runID))</td><td>\(HTML.escape(row.member.agentID))</td><td>\(HTML.escape(row.member.topics.joined(separator: ", ")))</td><td>\(lease)</td></tr>"
        }
        html += "</table>"

        let pages = max(1, (view.threadCount + PoolView.threadsPerPage - 1) / PoolView.threadsPerPage)
        html += "<h2>Conversation (\(view.threadCount) threads, page \(view.page + 1) of \(pages))</h2><div id=\"threads\">"
        for thread in view.threads {
            html += "<div class=\"thread\">"
            for (index, stored) in thread.enumerated() {
                html += message(stored, reply: index > 0)
            }
            html += "</div>"
        }
        html += "</div><p id=\"paging\">"
        if view.page > 0 { html += "<a href=\"\(poolPath)?page=\(view.page - 1)\">← newer</a> " }
        if view.page + 1 < pages { html += "<a href=\"\(poolPath)?page=\(view.page + 1)\">older →</a>" }
        html += "</p>"

        html += "<h2>Waiting wakes</h2><table id=\"wakes\"><tr><th>condition</th><th>run</th><th>status</th></tr>"
        for wake in view.wakes where wake.registration.status == .registered {
            html += "<tr><td>\(HTML.escape(wake.condition.conditionID))</td><td>\(HTML.escape(wake.condition.runID))</td><td>\(HTML.escape(wake.registration.status.rawValue))</td></tr>"
        }
        html += "</table>"

        html += "<h2>Held claims</h2><table id=\"claims\"><tr><th>message</th><th>holder</th><th>token</th><th>age</th><th>expires</th><th></th></tr>"
        for row in view.claims {
            html += "<tr><td>\(HTML.escape(row.claim.messageID))</td><td>\(HTML.escape(row.claim.runID))</td><td>\(row.claim.token)</td><td>\((row.ageMillis ?? 0) / 1000) s</td><td><span class=\"countdown\" data-expires-at=\"\(row.claim.expiresAt)\">\(max(0, (row.timeLeftMillis ?? 0) / 1000)) s</span></td><td><button data-release=\"\(HTML.escape(row.claim.messageID))\">release</button></td></tr>"
        }
        html += "</table>"

        html += "<h2>Dead letters</h2><table id=\"dead\"><tr><th>message</th><th>from</th><th>attempts</th><th>body</th><th></th></tr>"
        for dead in view.dead {
            html += "<tr><td>\(HTML.escape(dead.message.messageID))</td><td>\(HTML.escape(dead.message.from))</td><td>\(dead.claim.expiredCount)/\(dead.claim.maxAttempts)</td><td class=\"body\">\(HTML.escape(preview(dead.message)))</td><td><button data-resend=\"\(HTML.escape(dead.message.messageID))\">resend</button></td></tr>"
        }
        html += "</table>"

        html += "<h2>Consumers</h2><table id=\"consumers\"><tr><th>name</th><th>cursor</th><th>lag</th></tr>"
        for consumer in view.consumers {
            html += "<tr><td>\(HTML.escape(consumer.name))</td><td>\(consumer.cursor)</td><td>\(consumer.lag)</td></tr>"
        }
        html += "</table>"

        html += "<h2>Log tail</h2><table id=\"log\"><tr><th>seq</th><th>kind</th><th>recorded at (UTC ms)</th></tr>"
        for record in view.tail.reversed() {
            html += "<tr><td><a href=\"\(poolPath)/records/\(record.seq)\">\(record.seq)</a></td><td>\(HTML.escape(record.kind.rawValue))</td><td>\(record.recordedAt)</td></tr>"
        }
        html += "</table></div>"
        return html
    }

    /// One message of a thread: id, sender, address, status and a body preview.
    static func message(_ stored: StoredMessage, reply: Bool) -> String {
        let message = stored.message
        return """
            <div class="message\(reply ? " reply" : "")" data-message="\(HTML.escape(message.messageID))"><strong class="message-id">\(HTML.escape(message.messageID))</strong> \
            <span class="muted">from</span> \(HTML.escape(message.from)) <span class="muted">to</span> \(HTML.escape(message.to.target.spelled)) \
            <span class="status">\(HTML.escape(stored.receipt.status.rawValue))</span><div class="body">\(HTML.escape(preview(message)))</div></div>
            """
    }

    /// The first 200 characters of a message's body (its JSON), or its content reference.
    static func preview(_ message: Message) -> String {
        let text = message.body.map { RecordCodec.jsonDescription(of: $0) } ?? message.contentRef
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }

    /// One record with its JSON.
    static func record(_ record: PoolRecord, pool: PoolID) -> String {
        layout(title: "\(pool) #\(record.seq)", """
            <h1>Record \(record.seq) of <a href="/pools/\(HTML.pathComponent(pool))">\(HTML.escape(pool))</a></h1>
            <p>\(HTML.escape(record.kind.rawValue)), recorded at \(record.recordedAt) (UTC ms)</p>
            <pre id="record">\(HTML.escape(RecordCodec.jsonDescription(of: record)))</pre>
            """)
    }
}
