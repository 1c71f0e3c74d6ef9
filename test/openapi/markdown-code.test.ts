// Code spans for Swagger UI's Markdown: the text shows as it is, whatever
// backticks it holds.
import t from 'tap'
import { codeSpan } from '../../lib/openapi/markdown-code'

t.test('a code span holds the text as it is', async t => {
  t.equal(codeSpan('Bearer <JWT>'), '`Bearer <JWT>`')
  t.equal(codeSpan('a*b_c'), '`a*b_c`')
  t.equal(codeSpan('a`b``c'), '```a`b``c```', 'a fence longer than any run of backticks inside')
  t.equal(codeSpan('`a'), '`` `a ``', 'padded when it starts with a backtick')
  t.equal(codeSpan('a`'), '`` a` ``', 'or ends with one')
})
