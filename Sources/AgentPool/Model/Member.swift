/// A run in a pool: its agent, the topics it listens to and the policy refs it holds.
public struct Member: Codable, Hashable, Sendable {
    /// The member run.
    public var runID: RunID
    /// The agent behind the run.
    public var agentID: AgentID
    /// Policy refs the member holds; sorted, deduplicated.
    public var policyRefs: [PolicyRef] { get { policyRefsStorage } set { policyRefsStorage = newValue } }
    /// Topics the member listens to; sorted, deduplicated.
    public var topics: [TopicID] { get { topicsStorage } set { topicsStorage = newValue } }

    /// Creates a member. Lists are sets: stores keep them sorted and deduplicated.
    public init(runID: RunID, agentID: AgentID, policyRefs: [PolicyRef] = [], topics: [TopicID] = []) {
        self.runID = runID
        self.agentID = agentID
        self.policyRefsStorage = policyRefs
        self.topicsStorage = topics
    }

    /// Throws `invalidInput` naming the first malformed field.
    package func validate() throws(AgentPoolError) {
        try IDValidation.check(runID, field: "member.run_id")
        try IDValidation.check(agentID, field: "member.agent_id")
        try IDValidation.check(policyRefs, field: "member.policy_refs")
        try IDValidation.check(topics, field: "member.topics")
    }

    /// The same member with lists sorted and deduplicated.
    package func normalized() -> Member {
        Member(runID: runID, agentID: agentID, policyRefs: policyRefs.normalizedIDs(), topics: topics.normalizedIDs())
    }

    // The lists above as coded: omitted when empty.
    @OmittedWhenEmpty var policyRefsStorage: [PolicyRef]
    @OmittedWhenEmpty var topicsStorage: [TopicID]

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", agentID = "agent_id", policyRefsStorage = "policy_refs", topicsStorage = "topics"
    }
}
