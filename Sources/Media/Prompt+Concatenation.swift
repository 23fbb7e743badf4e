extension Prompt {
    /// One prompt that plays `parts` back to back, for announcements composed of recorded
    /// words ("you are caller number" + "twenty" + "one"). Each part keeps its own encoding
    /// (a µ-law recording is not re-quantised) and starts on a 20 ms frame boundary: the
    /// parts are already padded to whole frames, so at most one frame of silence separates
    /// two words, which a listener hears as a natural gap.
    public init(name: String, concatenating parts: [Prompt]) {
        var samples: [Int16] = [], pcmu: [UInt8] = [], pcma: [UInt8] = []
        for part in parts {
            samples += part.samples
            samples += [Int16](repeating: 0, count: part.pcmu.count - part.samples.count)
            pcmu += part.pcmu
            pcma += part.pcma
        }
        self.init(name: name, samples: samples, pcmu: pcmu, pcma: pcma)
    }
}
