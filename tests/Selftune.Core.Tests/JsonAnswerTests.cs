using Selftune.Core.Llm;

namespace Selftune.Core.Tests;

public sealed class JsonAnswerTests
{
    [Theory]
    [InlineData("""{"name":"a","count":2}""")]
    [InlineData("```json\n{\"name\":\"a\",\"count\":2}\n```")]
    [InlineData("Here you go:\n```\n{\"name\": \"a\", \"count\": 2,}\n```\nHope that helps.")]
    [InlineData("Sure. {\"name\":\"a\",\"count\":2} is the answer; note the {braces} in prose.")]
    [InlineData("The example {\"x\": 1} first, then {\"name\":\"a\",\"count\":\"2\"}")]
    public void FindsTheObjectWhateverSurroundsIt(string answer)
    {
        Assert.Equal(new Item("a", 2), JsonAnswer.Parse<Item>(answer, "answer"));
    }

    [Fact]
    public void ReadsArraysAndStringsHoldingBrackets()
    {
        var items = JsonAnswer.Parse<List<Item>>("Result: [{\"name\":\"}{]\",\"count\":1},{\"name\":\"b\",\"count\":3}] done", "answer");
        Assert.Equal([new Item("}{]", 1), new Item("b", 3)], items);
    }

    [Fact]
    public void AnAnswerWithoutTheShapeIsABadAnswerWithAnExcerpt()
    {
        var error = Assert.Throws<SelftuneException>(() => JsonAnswer.Parse<Item>("I think the count is two. {\"other\": true}", "grade answer"));
        Assert.Equal(ErrorCodes.LlmBadAnswer, error.Code);
        Assert.Contains("grade answer", error.Message);
        Assert.Contains("I think the count is two.", error.Message);
    }

    private sealed record Item(string Name, int Count);
}
