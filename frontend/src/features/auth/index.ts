export { useLogout } from './api/login';
export { LoginPage } from './components/login-page';
export { RequireAuth } from './components/require-auth';
