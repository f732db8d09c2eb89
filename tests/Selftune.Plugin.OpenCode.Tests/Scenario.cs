namespace Selftune.Plugin.OpenCode.Tests;

/// <summary>
/// A realistic OpenCode 1.2 session written into a database (the corpus has no skill use): a user asks for a PDF
/// form; the agent loads the <c>pdf</c> skill, reads its SKILL.md and docx's, runs a failing command and a sub-agent
/// (whose session loads <c>xlsx</c>) over two model steps, then answers with a second model; a selftune grading
/// prompt follows and fails on an overloaded API. Every row is updated at or before <see cref="LastUpdate"/>.
/// </summary>
internal static class Scenario
{
    public const long T0 = 1_760_000_000_000;
    public const long LastUpdate = T0 + 60_000;
    public const string Parent = "ses_parent";
    public const string Child = "ses_child";
    public const string PdfSkillFile = "/home/u/.config/opencode/skills/pdf/SKILL.md";
    public const string DocxSkillFile = "/work/app/.opencode/skills/docx/SKILL.md";

    public static void Write(OpenCodeDb db)
    {
        db.Session(Parent, T0, LastUpdate, directory: "/work/app");
        db.Session(Child, T0 + 4_000, T0 + 8_000, parent: Parent, directory: "/work/app");

        User(db, "msg_u1", Parent, T0 + 1_000, "Fill in the lease PDF form for me");
        db.Part("prt_u1s", "msg_u1", Parent, T0 + 1_000, T0 + 1_000, OpenCodeDb.Json(new { type = "text", text = "Called the Read tool with the following input: {\"filePath\":\"lease.pdf\"}", synthetic = true }));
        db.Message("msg_a1", Parent, T0 + 2_000, T0 + 9_000, OpenCodeDb.Json(new
        {
            role = "assistant", parentID = "msg_u1", modelID = "claude-sonnet-4-5", providerID = "anthropic", mode = "build",
            path = new { cwd = "/work/app", root = "/work/app" }, cost = 0.0531, finish = "tool-calls",
            time = new { created = T0 + 2_000, completed = T0 + 9_000 },
            tokens = new { input = 200, output = 80, reasoning = 0, cache = new { read = 6_000, write = 0 } },
        }));
        Part(db, "prt_a1_1", "msg_a1", Parent, new { type = "step-start" });
        Tool(db, "prt_a1_2", "msg_a1", Parent, "skill", "toolu_skill", "completed", new { name = "pdf" }, metadata: new { name = "pdf", dir = "/home/u/.config/opencode/skills/pdf" });
        Tool(db, "prt_a1_3", "msg_a1", Parent, "read", "toolu_read1", "completed", new { filePath = PdfSkillFile });
        Tool(db, "prt_a1_4", "msg_a1", Parent, "read", "toolu_read2", "completed", new { filePath = DocxSkillFile });
        Tool(db, "prt_a1_5", "msg_a1", Parent, "bash", "toolu_bash", "error", new { command = "pdftk lease.pdf fill_form\nsecond line" }, error: "pdftk: command not found");
        Tool(db, "prt_a1_6", "msg_a1", Parent, "task", "toolu_task", "completed", new { description = "Summarize fields", prompt = "Summarize the form fields in lease.pdf", subagent_type = "general" });
        Part(db, "prt_a1_7", "msg_a1", Parent, new { type = "step-finish", reason = "tool-calls", cost = 0.0421, tokens = new { input = 1_200, output = 300, reasoning = 50, cache = new { read = 5_000, write = 400 } } });
        Part(db, "prt_a1_8", "msg_a1", Parent, new { type = "step-start" });
        Part(db, "prt_a1_9", "msg_a1", Parent, new { type = "step-finish", reason = "tool-calls", cost = 0.011, tokens = new { input = 200, output = 80, reasoning = 0, cache = new { read = 6_000, write = 0 } } });
        db.Message("msg_a2", Parent, T0 + 10_000, T0 + 12_000, OpenCodeDb.Json(new
        {
            role = "assistant", parentID = "msg_u1", modelID = "claude-haiku-4-5", providerID = "anthropic", cost = 0, finish = "stop",
            time = new { created = T0 + 10_000, completed = T0 + 12_000 },
            tokens = new { input = 50, output = 20, reasoning = 0, cache = new { read = 0, write = 0 } },
        }));
        Part(db, "prt_a2_1", "msg_a2", Parent, new { type = "text", text = "Done: lease.pdf is filled in." });

        User(db, "msg_u2", Parent, T0 + 20_000, "[selftune] Grade this session against its expectations.");
        db.Message("msg_a3", Parent, T0 + 21_000, LastUpdate, OpenCodeDb.Json(new
        {
            role = "assistant", parentID = "msg_u2", modelID = "claude-sonnet-4-5", providerID = "anthropic",
            time = new { created = T0 + 21_000 }, error = new { name = "APIError", data = new { message = "Overloaded", isRetryable = true } },
        }));
        Part(db, "prt_a3_1", "msg_a3", Parent, new { type = "retry", attempt = 1, error = new { name = "APIError", data = new { message = "rate limited" } }, time = new { created = T0 + 21_500 } });
        Tool(db, "prt_a3_2", "msg_a3", Parent, "skill", "toolu_skill2", "completed", new { name = "pdf" });

        User(db, "msg_cu", Child, T0 + 4_000, "Summarize the form fields in lease.pdf");
        db.Message("msg_ca", Child, T0 + 5_000, T0 + 8_000, OpenCodeDb.Json(new
        {
            role = "assistant", parentID = "msg_cu", modelID = "claude-haiku-4-5", finish = "stop", time = new { created = T0 + 5_000, completed = T0 + 8_000 },
        }));
        Tool(db, "prt_ca_1", "msg_ca", Child, "skill", "toolu_cskill", "completed", new { name = "xlsx" });
        Tool(db, "prt_ca_2", "msg_ca", Child, "read", "toolu_cread", "completed", new { filePath = "/x/skills/xlsx/SKILL.md" });
    }

    public static void User(OpenCodeDb db, string id, string session, long at, string text)
    {
        db.Message(id, session, at, at, OpenCodeDb.Json(new { role = "user", agent = "build", model = new { providerID = "anthropic", modelID = "claude-sonnet-4-5" }, time = new { created = at } }));
        db.Part("prt_" + id, id, session, at, at, OpenCodeDb.Json(new { type = "text", text }));
    }

    public static void Tool(OpenCodeDb db, string id, string message, string session, string tool, string callId, string status, object input, object? metadata = null, string? error = null, long at = T0 + 3_000) =>
        db.Part(id, message, session, at, at, OpenCodeDb.Json(new
        {
            type = "tool", callID = callId, tool,
            state = new { status, input, metadata = metadata ?? new { }, error, time = new { start = at, end = at + 500 } },
        }));

    private static void Part(OpenCodeDb db, string id, string message, string session, object data) =>
        db.Part(id, message, session, T0 + 3_000, T0 + 3_000, OpenCodeDb.Json(data));
}
