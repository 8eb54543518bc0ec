import { type User, useSession } from '@/lib/session';

/** The signed-in agent of component tests. */
export const ME = {
  id: 'u-me',
  email: 'agent@demo.example',
  role: 'agent',
  tenant_id: 't1',
  display_name: 'Alex Agent',
  is_anonymous: false,
} satisfies User;

/** Sign `user` in with a token valid for an hour. */
export function signInAs(user: User) {
  useSession.setState({
    accessToken: 'a.b.c',
    refreshToken: 'r',
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
    user,
  });
}

/** Sign the agent in (takes no arguments, so it can be a `beforeEach` hook as it is). */
export function signIn() {
  signInAs(ME);
}
