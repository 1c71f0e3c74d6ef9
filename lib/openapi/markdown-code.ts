// Swagger UI renders descriptions as Markdown: a configured name or a value
// such as `Bearer <JWT>` must be a code span, or `<JWT>` is dropped as an
// unknown HTML tag and backticks, `*` or `_` in a cookie name become
// formatting.

/** `text` as a Markdown code span, whatever backticks it holds. */
export function codeSpan (text: string): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map(run => run.length))
  const fence = '`'.repeat(longestRun + 1)
  // A span starting or ending with a backtick needs a space inside the fence, which Markdown strips.
  const padding = text.startsWith('`') || text.endsWith('`') ? ' ' : ''
  return `${fence}${padding}${text}${padding}${fence}`
}
