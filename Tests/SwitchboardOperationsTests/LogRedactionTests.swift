import Logging
import SwitchboardOperations
import Testing

/// What never reaches a log line (issue 13): secrets by key, passwords in connection
/// strings and URLs, card numbers that pass the Luhn check; E.164 numbers stay readable.
@Suite struct LogRedactionTests {
    @Test func secretKeysAreRecognisedBySegmentNotBySubstring() {
        for key in ["password", "db.password", "admin_token", "Authorization", "card", "payment.card", "api-key", "apikey", "stripe.secret"] {
            #expect(LogRedaction.isSecretKey(key), "\(key)")
        }
        for key in ["span", "company", "sip.call_id", "dialplan.accounts", "expand"] {
            #expect(!LogRedaction.isSecretKey(key), "\(key)")
        }
    }

    @Test func passwordsInConnectionStringsAndURLsAreMasked() {
        #expect(LogRedaction.scrub("host=db password=hunter2 user=sw") == "host=db password=[redacted] user=sw")
        #expect(LogRedaction.scrub("password: hunter2") == "password: [redacted]")
        #expect(LogRedaction.scrub("postgresql://switchboard:hunter2@db.internal/sw") == "postgresql://switchboard:[redacted]@db.internal/sw")
        #expect(LogRedaction.scrub("postgresql://switchboard@db.internal/sw") == "postgresql://switchboard@db.internal/sw")
        #expect(LogRedaction.scrub("no secrets here") == "no secrets here")
    }

    @Test func cardNumbersAreMaskedAndPhoneNumbersAreNot() {
        // 4242 4242 4242 4242 passes Luhn; grouped with spaces or dashes, or not at all.
        #expect(LogRedaction.scrub("card 4242424242424242 declined") == "card [redacted] declined")
        #expect(LogRedaction.scrub("card 4242 4242 4242 4242 declined") == "card [redacted] declined")
        #expect(LogRedaction.scrub("card 4242-4242-4242-4242") == "card [redacted]")
        // Fails Luhn: left alone (an order number, a leg count).
        #expect(LogRedaction.scrub("order 4242424242424241") == "order 4242424242424241")
        // E.164 numbers start with '+': never a card, even when the digits pass Luhn.
        #expect(LogRedaction.scrub("caller +4242424242424242") == "caller +4242424242424242")
        #expect(LogRedaction.scrub("short 1234") == "short 1234")
    }

    @Test func luhn() {
        #expect(LogRedaction.luhn([7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 3]))
        #expect(!LogRedaction.luhn([7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 4]))
    }

    @Test func keyValueLinesQuoteWhatWouldSplitThem() {
        #expect(KeyValueLogHandler.quote("plain") == "plain")
        #expect(KeyValueLogHandler.quote("") == "\"\"")
        #expect(KeyValueLogHandler.quote("two words") == "\"two words\"")
        #expect(KeyValueLogHandler.quote("a=b") == "\"a=b\"")
        #expect(KeyValueLogHandler.quote("say \"hi\"\nbye") == "\"say \\\"hi\\\"\\nbye\"")
    }

    @Test func aLoggersOwnLevelWinsOverTheDaemonWideOne() {
        let control = LogLevelControl.shared
        let before = control.level
        defer { control.level = before }
        var handler = KeyValueLogHandler(label: "test")
        control.level = .warning
        #expect(handler.logLevel == .warning)
        control.level = .debug
        #expect(handler.logLevel == .debug)
        handler.logLevel = .error
        control.level = .trace
        #expect(handler.logLevel == .error)
    }
}
