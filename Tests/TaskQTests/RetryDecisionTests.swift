import Testing
@testable import TaskQ

@Suite("Retry decisions: one place, by the task's policy")
struct RetryDecisionTests {
    struct Flaky: Error {}
    struct Other: Error {}

    static func decide(_ error: any Error, _ options: TaskOptions = TaskOptions(), retries: Int = 0) -> JobOutcome {
        RetryDecision.outcome(after: error, options: options, name: "tasks.flaky", id: "t1", retries: retries, module: "tasks")
    }

    @Test("an error nobody asked to retry is a failure")
    func plainFailure() {
        guard case .failure(let exception, let traceback) = Self.decide(Other()) else {
            Issue.record("not a failure")
            return
        }
        #expect(exception.type == "Other")
        #expect(traceback?.contains("Other") == true)
    }

    @Test("Retry with a countdown retries after it; without one, after the policy's delay")
    func explicitRetry() {
        guard case .retry(7, _, _) = Self.decide(Retry(countdown: .seconds(7), reason: Flaky())) else {
            Issue.record("the countdown was not kept")
            return
        }
        guard case .retry(let countdown, let exception, _) = Self.decide(Retry(countdown: nil, reason: Flaky()),
                                                                          TaskOptions(defaultRetryDelay: .seconds(30))) else {
            Issue.record("not a retry")
            return
        }
        #expect(countdown == 30)
        #expect(exception.type == "Flaky")
    }

    @Test("autoretry_for retries matching errors only, with exponential backoff when asked")
    func autoretry() {
        let options = TaskOptions(maxRetries: 5, retryBackoff: true, retryJitter: false, autoretryFor: [.type(Flaky.self)])
        guard case .retry(let countdown, _, _) = Self.decide(Flaky(), options, retries: 3) else {
            Issue.record("not a retry")
            return
        }
        #expect(countdown == 8)   // 1 s base × 2³
        guard case .failure = Self.decide(Other(), options) else {
            Issue.record("an unmatched error was retried")
            return
        }
    }

    @Test("past max_retries the task fails with MaxRetriesExceededError carrying its cause")
    func maxRetries() {
        guard case .failure(let exception, _) = Self.decide(Retry(countdown: nil, reason: Flaky()), TaskOptions(maxRetries: 2), retries: 2) else {
            Issue.record("retried past the limit")
            return
        }
        #expect(exception.type == "MaxRetriesExceededError")
        #expect(exception.message.contains("Can't retry tasks.flaky[t1]: maximum retries (2) exceeded"))
        #expect(exception.arguments.count == 2)
    }
}
