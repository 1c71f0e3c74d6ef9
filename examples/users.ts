// The examples' one user and its login schema.
import { Type, type Static } from '@sinclair/typebox'

export const Login = Type.Object({ username: Type.String(), password: Type.String() })
export type LoginBody = Static<typeof Login>

export function checkPassword ({ username, password }: LoginBody): boolean {
  return username === 'test' && password === 'test'
}
