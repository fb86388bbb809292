import Foundation
import GaleJSON
import Logging

/// Follows the pods that appear while a selector or workload subscription runs (a rollout, a
/// scale-up, a new Job pod): it lists the selected pods every `discoveryInterval` and starts a
/// follower for each container of a pod it has not seen, within the subscription's stream limit.
///
/// A pod found later is read from the subscription's start (its whole log, for a new pod), not
/// with the request's `tailLines` or `sinceSeconds`.
struct LogPodDiscovery: Sendable {
    let subscription: LogSubscription
    let merger: LogMerger
    let states: LogStateReporter
    /// When the subscription started.
    let since: Date

    /// Runs until cancelled; the followers it starts are its child tasks. `known` holds the
    /// UIDs of the pods followed from the start.
    func run(known: Set<String>) async {
        let request = {
            var request = subscription.request
            request.tailLines = nil
            request.sinceSeconds = nil
            request.sinceTime = Date(timeIntervalSince1970: since.timeIntervalSince1970.rounded(.down))
            return request
        }()
        let limit = subscription.configuration.maxStreams
        await withDiscardingTaskGroup { group in
            var seen = known
            var selector: String?
            var warned = false
            while true {
                do {
                    try await Task.sleep(for: subscription.configuration.discoveryInterval)
                } catch {
                    return
                }
                let pods: [JSONValue]
                do {
                    let resolver = LogTargetResolver(
                        client: try await subscription.connect(), request: request, maxStreams: limit)
                    if selector == nil { selector = try await resolver.labelSelector() }
                    guard let selector else { return }
                    pods = try await resolver.pods(matching: selector)
                } catch {
                    continue  // the followers report the cluster's state; try again next time
                }
                for pod in pods {
                    guard let uid = pod["metadata"]?["uid"]?.stringValue, !seen.contains(uid),
                        let targets = try? LogTarget.targets(in: pod, request: request, strict: false)
                    else { continue }
                    guard states.activeCount + targets.count <= limit else {
                        if !warned {
                            subscription.logger.warning(
                                "log subscription at its stream limit; new pods are not followed",
                                metadata: [
                                    "limit": "\(limit)", "pod": "\(pod["metadata"]?["name"]?.stringValue ?? "")",
                                ])
                            warned = true
                        }
                        continue
                    }
                    seen.insert(uid)
                    for target in targets {
                        guard let input = merger.addSource() else { return }
                        states.start(input.source)
                        group.addTask {
                            await subscription.follow(target, request: request, into: input, states: states)
                        }
                    }
                }
            }
        }
    }
}
