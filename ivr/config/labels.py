"""What each tunable setting is called, what it does and which seed rule it comes from, in
Chinese and English: the one place the admin bench (ivr/console) reads them from.

The config file's comments say the same to someone reading the file; this table says it to
someone who only sees the form. A test checks that every key the bench can edit has an entry in
both languages, so a new setting cannot appear on the form as a bare key.

`seed` names the seed document by its number (the files in ../shared/seeds/, see SEEDS) and
then the rule, as docs/standard.md and the config comments cite them ("000 第十六条 3").
"""

from __future__ import annotations

from dataclasses import dataclass

# The service standard's documents: number -> (file in ../shared/seeds/, title).
SEEDS: dict[str, tuple[str, str]] = {
    "000": ("000_6f009041293843f9.txt", "客户服务管理"),
    "001": ("001_e8cc8d9ecf49dc64.txt", "热线服务规范"),
    "002": ("002_f7f23e179039bd62.txt", "客服工作流程"),
    "003": ("003_710d4c4df23bd895.txt", "售后支持服务标准"),
    "004": ("004_2855f23ed23c31c5.txt", "客服管理规章制度"),
}


@dataclass(frozen=True)
class SettingLabel:
    zh: str
    en: str
    help_zh: str
    help_en: str
    seed: str = ""  # "000 第十六条 3" (several separated by " / "); "" = an engineering value

    def label(self, locale: str) -> str:
        return self.en if locale.startswith("en") else self.zh

    def help(self, locale: str) -> str:
        return self.help_en if locale.startswith("en") else self.help_zh

    def seed_files(self) -> list[str]:
        """The seed files the citation names (by their number), in order, once each."""
        out: list[str] = []
        for part in self.seed.split("/"):
            number = part.strip()[:3]
            if number in SEEDS and SEEDS[number][0] not in out:
                out.append(SEEDS[number][0])
        return out


SECTIONS: dict[str, tuple[str, str]] = {
    "greeting": ("接听与问候", "Answer and greeting"),
    "silent_call": ("无声来电", "Silent call"),
    "low_volume": ("声音太小", "Caller too quiet"),
    "noisy_line": ("线路杂音", "Noisy line"),
    "unintelligible": ("听不懂(方言)", "Not understood (dialect)"),
    "harassment": ("骚扰电话", "Harassment"),
    "complaint": ("投诉受理", "Complaint intake"),
    "dialogue": ("对话", "Conversation"),
    "line": ("线路判断", "Line verdicts"),
    "vad": ("语音检测", "Voice activity detection"),
}

L = SettingLabel
LABELS: dict[str, SettingLabel] = {
    # greeting
    "greeting.queue_apology_rings_count": L(
        "响铃几声后致歉", "Rings before the apology",
        "响铃超过这么多声才接听,开场先说“抱歉让您久等”", "Answered after this many rings: "
        "the greeting starts with an apology for the wait", "000 第十六条 4"),
    "greeting.ring_cycle_s": L(
        "一声振铃的时长(秒)", "One ring cycle (s)",
        "一声振铃 = 1 秒响 + 4 秒停,用来把振铃时间换算成声数",
        "One ring = 1 s on + 4 s off; turns the ringing time into rings", "000 第十六条 4"),
    "greeting.menu_after_greeting": L(
        "无声或答非所问后给按键菜单", "Key menu after silence",
        "第一次无声提示后、或回答无法识别后,播放按键菜单(问候后的 5 秒停顿内不播)",
        "Offer the DTMF menu after the first silent re-prompt and after an unusable answer "
        "(never inside the 5 s pause after the greeting)", "000 第十六条 3"),
    # silent_call
    "silent_call.after_greeting_s": L(
        "问候后无声等待(秒)", "Silence after the greeting (s)",
        "问候后对方无声这么久,再次询问“您好,请问有什么可以帮助您?”",
        "Silence this long after the greeting: ask again", "000 第十六条 3"),
    "silent_call.after_reprompt_s": L(
        "再次询问后等待(秒)", "Silence after the re-prompt (s)",
        "再次询问后仍无声这么久,播放结束提示", "Still silent this long after the re-prompt: "
        "the final notice", "000 第十六条 3"),
    "silent_call.after_final_notice_s": L(
        "结束提示后挂机等待(秒)", "Wait before hanging up (s)",
        "结束提示后再等这么久挂机", "After the final notice, hang up after this long",
        "000 第十六条 3"),
    "silent_call.reprompt_count": L(
        "再次询问次数", "Re-prompts",
        "无声时再次询问的次数(000 为 1 次,001 为 2 次)", "How many times a silent caller is "
        "asked again (000 says once, 001 twice)", "000 第十六条 3 / 001 无声电话"),
    "silent_call.goodbye_after_notice": L(
        "结束提示后说再见", "Goodbye after the notice",
        "结束提示后再说“感谢您的来电,再见!”", "Say \"thank you for calling, goodbye\" after "
        "the final notice", "001 无声电话"),
    # low_volume
    "low_volume.speak_louder_rounds_count": L(
        "请对方大声的次数", "\"Speak louder\" rounds",
        "说“请您大声一点”的次数,之后请对方换一部电话", "How many times to ask the caller to "
        "speak louder before asking them to call from another phone",
        "000 第十七条 6 / 001 电话无法听清 1"),
    "low_volume.wait_after_prompt_s": L(
        "提示后等待(秒)", "Wait after the prompt (s)",
        "请对方大声后等这么久再判断", "How long to listen after asking for a louder voice",
        "000 第十七条 6"),
    "low_volume.hangup_after_final_s": L(
        "最后提示后挂机(秒)", "Hang up after the last phrase (s)",
        "说“请您换一部电话挂来”后过这么久挂机", "Hang up this long after \"please call from "
        "another phone\"", "000 第十七条 6"),
    "low_volume.first_prompt": L(
        "第一句提示", "First phrase",
        "speak_louder 请大声;pick_up_handset 请拿起话筒;auto 免提时请拿起话筒,否则请大声",
        "speak_louder, pick_up_handset, or auto (pick up the handset on a speakerphone)",
        "000 第十七条 5 / 001 电话无法听清 2"),
    "low_volume.min_low_speech_s": L(
        "判定声音小所需说话时长(秒)", "Quiet speech needed (s)",
        "听到这么久的小声说话才提示", "This much quiet speech before the rule speaks",
        "000 第十七条 6"),
    # noisy_line
    "noisy_line.repeat_count": L(
        "杂音提示次数", "Noisy-line phrases",
        "“您的电话杂音太大”说几次后挂机", "How many times \"your line is too noisy\" is said "
        "before hanging up", "000 第十七条 7 / 001 电话无法听清 3"),
    "noisy_line.interval_s": L(
        "两次提示间隔(秒)", "Interval between phrases (s)",
        "每次提示之间的间隔", "The pause between two noisy-line phrases", "000 第十七条 7"),
    "noisy_line.hangup_after_final_s": L(
        "最后提示后挂机(秒)", "Hang up after the last phrase (s)",
        "最后一次提示后过这么久挂机", "Hang up this long after the last phrase",
        "000 第十七条 7"),
    "noisy_line.min_noisy_s": L(
        "判定杂音所需时长(秒)", "Noise needed (s)",
        "线路杂音持续这么久才提示", "This much noisy line before the rule speaks",
        "000 第十七条 7"),
    # unintelligible
    "unintelligible.speak_mandarin_rounds_count": L(
        "请讲普通话的次数", "\"Speak Mandarin\" rounds",
        "听不懂时请对方讲普通话的次数", "How many times to ask for Mandarin",
        "000 第十七条 8 / 001 电话无法听清 4"),
    "unintelligible.ask_someone_nearby_rounds_count": L(
        "请旁人帮忙的次数", "\"Someone nearby\" rounds",
        "请身边会讲普通话的人帮忙转述的次数(0 = 不问)", "How many times to ask for someone "
        "nearby who speaks Mandarin (0 = never)", "000 第十七条 8"),
    "unintelligible.min_confidence": L(
        "识别可信度下限", "Minimum confidence",
        "识别可信度低于此值视为听不懂", "Recogniser confidence below this = not understood",
        "000 第十七条 8"),
    "unintelligible.hangup_after_final_s": L(
        "最后提示后挂机(秒)", "Hang up after the last phrase (s)",
        "“停顿 5 秒,用户无回应,可挂机”", "Hang up this long after the last phrase if the "
        "caller does not answer", "001 电话无法听清 4"),
    "unintelligible.min_speech_s": L(
        "判定听不懂所需说话时长(秒)", "Speech needed (s)",
        "说话至少这么久才可能判为听不懂(更短的当作杂音)",
        "Speech at least this long before it can count as not understood", "000 第十七条 8"),
    # harassment
    "harassment.warning_count": L(
        "警告次数", "Warnings",
        "骚扰内容警告几次后说最后一句并挂机", "Warnings before the final phrase and the "
        "hang-up", "001 特殊沟通内容 6"),
    "harassment.hangup_after_final_s": L(
        "最后一句后挂机(秒)", "Hang up after the final phrase (s)",
        "“停顿 5 秒,挂机”", "Hang up this long after the final phrase", "001 特殊沟通内容 6"),
    "harassment.blacklist_days": L(
        "黑名单天数", "Blacklist days",
        "骚扰来电号码列入黑名单的天数(0 = 不列入)", "Days a harassing number stays on the "
        "blacklist (0 = not listed)", "002 骚扰电话"),
    "harassment.blacklist_treatment": L(
        "黑名单来电处理", "Blacklisted callers",
        "reject 直接拒接;harassment_flow 按骚扰流程;none 照常接听", "reject, harassment_flow "
        "(the harassment steps at once), or none (answer as usual)", "002 骚扰电话"),
    "harassment.treatment": L(
        "骚扰处理方式", "Harassment treatment",
        "warnings 警告后挂机;analysis 播放“来电自动分析系统”;queue 转骚扰专席",
        "warnings then hang up; analysis (\"automatic call analysis\"); or queue (transfer "
        "to the harassment desk)", "002 骚扰电话 / 001 特殊沟通内容 6"),
    # complaint
    "complaint.max_recording_s": L(
        "投诉录音最长(秒)", "Longest recording (s)",
        "来电方讲述投诉内容的最长录音时间", "The longest the caller's complaint recording "
        "may run", "000 第八条"),
    "complaint.end_of_speech_s": L(
        "讲完判定停顿(秒)", "End of speech pause (s)",
        "讲述时停顿这么久视为讲完", "A pause this long ends the caller's account", "000 第八条"),
    "complaint.confirm_timeout_s": L(
        "确认等待(秒)", "Wait for confirmation (s)",
        "复述投诉后等待对方确认的时间", "How long to wait for \"yes\" after the read-back",
        "001 投诉 3"),
    "complaint.confirm_attempts_count": L(
        "确认尝试次数", "Confirmation attempts",
        "请对方确认的次数,之后按未确认登记(投诉不丢失)", "Times to ask for confirmation; "
        "after that the complaint is filed unconfirmed (never lost)", "001 投诉 3"),
    "complaint.read_back": L(
        "复述投诉内容", "Read the complaint back",
        "登记前把识别出的内容念给对方核实", "Read the transcript back to the caller before "
        "filing", "001 核实信息 1"),
    "complaint.pen_and_paper": L(
        "先请对方准备纸笔", "Ask for pen and paper",
        "报工单编号前先说“麻烦您准备下纸跟笔好吗?”", "Ask the caller to fetch pen and paper "
        "before the reference number", "001 特殊沟通内容 8"),
    "complaint.pen_wait_s": L(
        "等待拿纸笔(秒)", "Wait for pen and paper (s)",
        "等待对方拿纸笔的时间", "How long to wait while the caller fetches them",
        "001 特殊沟通内容 8"),
    "complaint.tone_enabled": L(
        "录音前提示音", "Tone before recording",
        "“请在提示音后讲述”:录音前播放一声提示音", "Play a real tone before every recording "
        "(\"please speak after the tone\")", "000 第八条"),
    "complaint.tone_hz": L(
        "提示音频率(Hz)", "Tone frequency (Hz)",
        "200–3400 Hz(电话频带内)", "200-3400 Hz (inside the telephone band)", "000 第八条"),
    "complaint.tone_ms": L(
        "提示音时长(毫秒)", "Tone length (ms)",
        "提示音的长度", "How long the tone lasts", "000 第八条"),
    "complaint.tone_level_dbfs": L(
        "提示音音量(dBFS)", "Tone level (dBFS)",
        "提示音的电平,0 为满幅", "The tone's level; 0 is full scale", "000 第八条"),
    # dialogue
    "dialogue.intent_timeout_s": L(
        "等待回答(秒)", "Wait for an answer (s)",
        "提问后等待对方回答的时间", "How long to wait for the caller's answer to a question",
        "001 电话无法听清 7"),
    "dialogue.intent_attempts_count": L(
        "重问次数", "Attempts at a question",
        "听不明白时请对方再说一遍的次数,之后给菜单或转人工", "Times to ask again when the "
        "answer is not understood; then the menu or a person", "001 电话无法听清 7"),
    "dialogue.survey_enabled": L(
        "满意度调查", "Satisfaction survey",
        "结束前请对方按键评价", "Ask the caller to rate the service by key before goodbye",
        "003 满意度"),
    "dialogue.survey_timeout_s": L(
        "等待评价(秒)", "Wait for the rating (s)",
        "满意度调查等待按键的时间", "How long the survey waits for a key", "003 满意度"),
    "dialogue.hold_short_s": L(
        "短暂等待上限(秒)", "Short hold (s)",
        "查询在这么久内完成说“请稍等”,更久说“请您耐心等待”", "Lookups up to this long get the "
        "short hold phrase, longer ones the long one", "001 保持 1-2"),
    "dialogue.hold_long_max_s": L(
        "长时间等待上限(秒)", "Longest hold (s)",
        "让对方等待的最长时间,超过则改为回电", "The longest a caller is kept on hold; then a "
        "callback is promised instead", "001 保持 2"),
    "dialogue.max_call_s": L(
        "通话最长(秒)", "Longest call (s)",
        "任何通话到这个时长都会礼貌结束", "Every call ends politely by this length"),
    "dialogue.barge_in": L(
        "允许插话", "Barge-in",
        "对方说话时可以打断正在播放的提示", "The caller may interrupt a phrase by speaking"),
    "dialogue.barge_in_min_speech_s": L(
        "插话所需说话时长(秒)", "Speech to barge in (s)",
        "清晰线路上说话持续这么久才打断提示(避免杂音误打断)", "Speech must last this long on "
        "a clear line to cut a phrase (noise does not)"),
    "dialogue.louder_step_db": L(
        "每次调高音量(dB)", "Louder step (dB)",
        "对方说“听不清”时每次调高这么多", "Each \"I can't hear you\" makes the bot this much "
        "louder", "001 电话无法听清 6"),
    "dialogue.louder_max_db": L(
        "最多调高音量(dB)", "Louder at most (dB)",
        "“循序渐进的提高,不可一下将音量提的过高”", "Step by step up to this much, never too "
        "loud at once", "001 电话无法听清 6"),
    "dialogue.ask_understood": L(
        "询问是否清楚", "Ask \"was that clear?\"",
        "承诺回电后问“请问我刚才的解释您是否清楚?”", "After a callback promise, ask whether "
        "the explanation was clear", "001 结束语规范 1"),
    # line
    "line.window_s": L(
        "线路统计窗口(秒)", "Line report window (s)",
        "音量、信噪比等按这么长的滑动窗口统计", "Levels and SNR are measured over a sliding "
        "window this long"),
    "line.low_volume_below_dbfs": L(
        "声音太小阈值(dBFS)", "Too quiet below (dBFS)",
        "说话电平低于此值判为声音太小", "Speech below this level is too quiet",
        "000 第十七条 6"),
    "line.noisy_snr_below_db": L(
        "杂音信噪比阈值(dB)", "Noisy when SNR below (dB)",
        "信噪比低于此值判为杂音大", "A signal-to-noise ratio below this is a noisy line",
        "000 第十七条 7"),
    "line.noisy_floor_above_dbfs": L(
        "杂音底噪阈值(dBFS)", "Noisy when floor above (dBFS)",
        "底噪高于此值判为杂音大", "A noise floor above this is a noisy line", "000 第十七条 7"),
    "line.silent_below_dbfs": L(
        "无声阈值(dBFS)", "Silent below (dBFS)",
        "电平低于此值视为无声(须低于声音太小阈值)", "Below this the line is silent (must be "
        "below the too-quiet level)", "000 第十六条 3"),
    "line.clipping_ratio_above": L(
        "削波比例阈值", "Clipping ratio above",
        "削波样本比例高于此值判为失真", "A share of clipped samples above this is distortion"),
    "line.reverberant_decay_s": L(
        "免提判定混响(秒)", "Speakerphone decay (s)",
        "语音尾音衰减比这更慢视为免提,auto 时请对方拿起话筒", "Speech tails decaying slower "
        "than this mean a speakerphone; \"auto\" then asks to pick up the handset",
        "000 第十七条 5"),
    # vad
    "vad.aggressiveness_level": L(
        "语音检测灵敏度", "VAD aggressiveness",
        "webrtcvad 模式 0–3,越大越不容易把杂音当作说话", "webrtcvad mode 0-3; higher takes "
        "less noise for speech"),
    "vad.hangover_ms": L(
        "说话延续(毫秒)", "Hangover (ms)",
        "最后一个有声帧后仍算在说话的时间", "Speech continues this long after the last "
        "voiced frame"),
    "vad.frame_ms": L(
        "检测帧长(毫秒)", "Frame (ms)",
        "每次判断的音频长度:10、20 或 30 毫秒", "Audio judged at a time: 10, 20 or 30 ms"),
    "vad.noise_margin_db": L(
        "高于底噪(dB)", "Above the noise floor (dB)",
        "帧电平须高出底噪这么多才算说话", "A frame must be this far above the noise floor to "
        "be speech"),
    "vad.preroll_ms": L(
        "起始预留(毫秒)", "Pre-roll (ms)",
        "说话开始前这么长的音频也交给识别器", "Audio before the speech start that the "
        "recogniser also gets"),
}
del L


def label_of(key: str) -> SettingLabel | None:
    return LABELS.get(key)
