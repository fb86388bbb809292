import Foundation
import KubeSim
import Testing

@Test(.enabled(if: ProcessInfo.processInfo.environment["KUBESIM_HOLD"] != nil))
func devHold() async throws {
    let server = KubeSimServer(configuration: .init(token: "dev", podStartDelay: .milliseconds(300)))
    try await server.start()
    try server.writeKubeconfig(to: "/tmp/kubesim-dev.yaml")
    print("KUBESIM READY \(server.url!)")
    try await Task.sleep(for: .seconds(Int(ProcessInfo.processInfo.environment["KUBESIM_HOLD"]!) ?? 300))
    await server.stop()
}
