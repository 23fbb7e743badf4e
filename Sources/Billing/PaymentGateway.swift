import Foundation

/// One charge to send to the payment processor.
public struct ChargeRequest: Sendable, Equatable {
    /// Our charge id: the processor's idempotency key, the same on every retry.
    public var chargeID: UUID
    public var customer: String?
    /// The processor's token for the card on file.
    public var paymentMethod: String
    /// Minor units.
    public var amount: Int64
    public var currency: String
    public var description: String
    /// Definite declines of this charge so far.
    public var declines: Int

    /// Sent as `Idempotency-Key`: the charge id (lower case); after a definite decline the
    /// next attempt is a new payment and gets `<charge id>-r<declines>` (a processor replays
    /// the stored decline for a repeated key). Retries of an attempt whose outcome is
    /// unknown (timeout, 5xx) always reuse the key, so they can never charge twice.
    public var idempotencyKey: String {
        chargeID.uuidString.lowercased() + (declines > 0 ? "-r\(declines)" : "")
    }

    public init(chargeID: UUID, customer: String?, paymentMethod: String, amount: Int64, currency: String, description: String,
                declines: Int = 0) {
        self.declines = declines
        self.chargeID = chargeID
        self.customer = customer
        self.paymentMethod = paymentMethod
        self.amount = amount
        self.currency = currency
        self.description = description
    }
}

public enum ChargeOutcome: Sendable, Equatable {
    /// Money taken; the processor's reference (payment intent id).
    case succeeded(reference: String)
    /// The card was refused (402): the processor's code, e.g. `card_declined`.
    case declined(code: String, message: String)
    /// Could not get an answer (timeouts, 5xx, connection) after the gateway's own retries,
    /// or a request the processor rejected: retry at a later close with the same key.
    case failed(String)
    /// Not sent: recorded for export (`LedgerOnlyGateway`), stays pending.
    case deferred
    /// Accepted but not settled yet (`processing`, `requires_action`): neither paid nor
    /// declined. The charge stays pending with this reference and is polled by it
    /// (`status(of:)`) until it settles; it is never sent again, so it can never be charged
    /// twice nor counted as a failure for money that is on its way.
    case inFlight(reference: String)
}

/// Sends charges to a payment processor. Implementations block their caller (the close
/// runs on its own thread) and must send `chargeID` as the idempotency key so a retry
/// never charges twice.
public protocol PaymentGateway: Sendable {
    func charge(_ request: ChargeRequest) -> ChargeOutcome
    /// Where a payment that was in flight stands now, by the processor's reference: never
    /// creates a payment. `.failed` means no answer (ask again later), `.declined` that
    /// the payment did not go through.
    func status(of reference: String) -> ChargeOutcome
    /// False for gateways that only record (charges stay pending for export).
    var sendsCharges: Bool { get }
}

extension PaymentGateway {
    public var sendsCharges: Bool { true }
    public func status(of reference: String) -> ChargeOutcome { .inFlight(reference: reference) }
}

/// Sends nothing: charges stay `pending` in the ledger for export to another system.
public struct LedgerOnlyGateway: PaymentGateway {
    public init() {}
    public func charge(_ request: ChargeRequest) -> ChargeOutcome { .deferred }
    public var sendsCharges: Bool { false }
}
