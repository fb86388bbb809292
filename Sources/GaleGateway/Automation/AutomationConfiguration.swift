/// How automation tasks are run on their schedules and alerts.
public struct AutomationConfiguration: Sendable {
    /// Whether this gateway runs scheduled and alert-triggered tasks. Replicas sharing a database
    /// may all run them: each schedule tick and each alert firing is claimed in the database, and
    /// only the replica that gets the claim runs the task.
    public var schedulerEnabled: Bool
    /// How long the claim of a task's run for a firing alert holds: the same alert (rule and
    /// target) firing again within it, on this replica or another — replicas evaluate the rules
    /// each on their own, and each sees the alert fire — does not run the task again.
    public var alertCooldown: Duration
    /// Ticks the scheduler catches up on after it fell behind (a paused or overloaded process);
    /// older ones are skipped.
    public var maxCatchUpTicks: Int
    /// How long runs stay in the tasks' logs.
    public var runRetention: Duration

    public init(
        schedulerEnabled: Bool = true, alertCooldown: Duration = .seconds(300), maxCatchUpTicks: Int = 5,
        runRetention: Duration = .seconds(30 * 86_400)
    ) {
        self.schedulerEnabled = schedulerEnabled
        self.alertCooldown = alertCooldown
        self.maxCatchUpTicks = max(1, maxCatchUpTicks)
        self.runRetention = runRetention
    }
}
