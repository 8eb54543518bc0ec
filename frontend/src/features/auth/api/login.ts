import { useMutation } from '@tanstack/react-query';
import { api, unwrap } from '@/lib/api';
import { useSession } from '@/lib/session';

export interface Credentials {
  email: string;
  password: string;
}

export const useLogin = () =>
  useMutation({
    mutationFn: (body: Credentials) => unwrap(api.POST('/api/v1/auth/login', { body })),
    onSuccess: (tokens) => useSession.getState().signIn(tokens),
    meta: { silent: true }, // the form shows the error itself
  });

export const useLogout = () =>
  useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/logout')),
    onSettled: () => useSession.getState().signOut(),
    meta: { silent: true },
  });
