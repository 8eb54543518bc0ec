import { useMutation } from '@tanstack/react-query';
import { api, signInWithPassword, unwrap } from '@/lib/api';
import { useSession } from '@/lib/session';

export interface Credentials {
  email: string;
  password: string;
}

export const useLogin = () =>
  useMutation({
    mutationFn: ({ email, password }: Credentials) => signInWithPassword(email, password),
    onSuccess: (tokens) => useSession.getState().signIn(tokens),
    meta: { silent: true }, // the form shows the error itself
  });

export const useLogout = () =>
  useMutation({
    // with Supabase Auth the backend has no session to end (it answers 404): still signed out
    mutationFn: () => unwrap(api.POST('/api/v1/auth/logout')),
    onSettled: () => useSession.getState().signOut(),
    meta: { silent: true },
  });
