import Effects

/// Turns an ask into the channel's message: an interactive list (WhatsApp) or buttons (web chat) for a
/// choice that fits the channel's limits, else a numbered text list; free answers as plain text.
public enum QuestionRenderer {
    public static func render(_ step: QuestionStep, channel: Channel) -> MessageContent {
        let choices = step.choices
        switch step.ask {
        case .question(let question):
            switch question.kind {
            case .string, .text, .other: return .text(question.name)
            case .phoneNumber: return .text(question.name + "\n" + Copy.phoneInstruction)
            case .singleSelect:
                if AnswerReader.isConfirmation(question) {
                    return choiceMessage(step, body: question.name, button: Copy.answerListButton, channel: channel,
                                         textInstruction: Copy.confirmInstruction)
                }
                return choiceMessage(step, body: question.name, button: Copy.answerListButton, channel: channel,
                                     textInstruction: question.includeOther ? Copy.textChoiceOrOwnInstruction : Copy.textChoiceInstruction,
                                     interactive: !question.includeOther)
            case .multiSelect:
                if AnswerReader.isConfirmation(question) {
                    return choiceMessage(step, body: question.name, button: Copy.answerListButton, channel: channel,
                                         textInstruction: Copy.confirmInstruction)
                }
                // A list or a button picks one; several picks are typed ("1, 3") on every channel.
                return numbered(question.name, choices, question.includeOther ? Copy.multiChoiceOrOwnInstruction : Copy.multiChoiceInstruction)
            }
        case .locationChoice:
            return choiceMessage(step, body: Copy.locationQuestion, button: Copy.locationListButton, channel: channel,
                                 textInstruction: Copy.textChoiceInstruction)
        case .locationDetail(let location):
            if location.known == .outboundCall { return .text(Copy.outboundCallQuestion + "\n" + Copy.phoneInstruction) }
            return .text(Copy.askInviteeLocationQuestion)
        }
    }

    /// `interactive` false: the customer may also type their own answer, which a list would hide.
    static func choiceMessage(_ step: QuestionStep, body: String, button: String, channel: Channel, textInstruction: String,
                              interactive: Bool = true) -> MessageContent {
        let choices = step.choices
        switch channel {
        case .whatsapp where interactive && choices.count <= ChannelLimits.maxSlots(.whatsapp):
            let rows = choices.enumerated().map { index, choice in
                ListRow(id: step.rowID(index), title: OfferRenderer.truncate(choice, to: ChannelLimits.rowTitle),
                        description: choice.count > ChannelLimits.rowTitle ? OfferRenderer.truncate(choice, to: ChannelLimits.rowDescription) : "")
            }
            return .interactiveList(body: OfferRenderer.truncate(body, to: ChannelLimits.listBody),
                                    button: OfferRenderer.truncate(button, to: ChannelLimits.listButton), rows: rows)
        case .webchat where interactive && choices.count <= ChannelLimits.maxSlots(.webchat)
            && choices.allSatisfy({ $0.count <= ChannelLimits.buttonLabel }):
            // Web-chat buttons show the label whole or not at all: a choice longer than a label goes to text.
            return .buttons(body: body, buttons: choices.enumerated().map { ChoiceButton(id: step.rowID($0), label: $1) })
        case .whatsapp, .webchat, .text:
            return numbered(body, choices, textInstruction)
        }
    }

    static func numbered(_ body: String, _ choices: [String], _ instruction: String) -> MessageContent {
        var lines = [body]
        if choices.count == 1 {
            lines.append(choices[0])
        } else {
            for (index, choice) in choices.enumerated() { lines.append("\(index + 1). \(choice)") }
        }
        lines.append(instruction)
        return .text(lines.joined(separator: "\n"))
    }
}
